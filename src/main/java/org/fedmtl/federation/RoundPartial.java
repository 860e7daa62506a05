package org.fedmtl.federation;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.fedmtl.aggregation.WeightedParameterSum;
import scala.Tuple2;

/**
 * What Spark tasks of one round send back, merged: the partial sum of the clients they trained
 * (null from a task that only evaluated), the evaluations of test blocks keyed by block index,
 * and one report per task.
 *
 * @param <M> the evaluation state
 */
record RoundPartial<M>(WeightedParameterSum sum, List<Tuple2<Integer, M>> blocks,
    List<TaskReport> reports) implements Serializable {

  /**
   * One Spark task's account of itself.
   *
   * @param executor the executor it ran on
   * @param trainingNanos time spent training clients
   * @param steps optimiser steps of its clients
   * @param evaluationNanos time spent evaluating test blocks
   */
  record TaskReport(String executor, long trainingNanos, long steps, long evaluationNanos)
      implements Serializable {}

  RoundPartial<M> merge(RoundPartial<M> other) {
    WeightedParameterSum merged = sum == null ? other.sum
        : other.sum == null ? sum : sum.merge(other.sum);
    List<Tuple2<Integer, M>> allBlocks = new ArrayList<>(blocks);
    allBlocks.addAll(other.blocks);
    List<TaskReport> allReports = new ArrayList<>(reports);
    allReports.addAll(other.reports);
    return new RoundPartial<>(merged, allBlocks, allReports);
  }
}
