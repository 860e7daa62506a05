package org.fedmtl.federation;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.fedmtl.aggregation.ParameterLayout;
import org.fedmtl.aggregation.WeightedParameterSum;
import org.fedmtl.data.ClientShard;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction2;

/**
 * The work of one Spark task in a round's job: the client shards of its partition that were
 * sampled train from the global model and add their weighted updates into one partial sum; the
 * test blocks of its partition evaluate the same global model (the previous round's result).
 * Shards of clients that were not sampled are passed over.
 *
 * <p>A plain serializable class rather than a lambda: Spark passes it to the job as it is, where
 * the Scala closures of {@code mapPartitions} and {@code treeReduce} would each be inspected by
 * Spark's closure cleaner (a parse of their enclosing class file, every round). The global
 * parameters travel inside it, in the job's task binary, which Spark broadcasts once per stage.
 *
 * @param <M> the evaluation state
 */
final class RoundTask<M extends Serializable>
    extends AbstractFunction2<TaskContext, scala.collection.Iterator<ClientShard>, RoundPartial<M>>
    implements Serializable {
  private static final long serialVersionUID = 1L;

  private final float[] global;
  private final int[] sampled;
  private final int round;
  private final ParameterLayout layout;
  private final ClientUpdateFunction clientUpdate;
  private final EvaluationFunction<M> evaluation;

  /**
   * @param global the global parameters: the model clients train from, and the one evaluated
   * @param sampled indices of the round's sampled clients, sorted
   * @param round the round number
   */
  RoundTask(float[] global, int[] sampled, int round, ParameterLayout layout,
      ClientUpdateFunction clientUpdate, EvaluationFunction<M> evaluation) {
    this.global = global;
    this.sampled = sampled;
    this.round = round;
    this.layout = layout;
    this.clientUpdate = clientUpdate;
    this.evaluation = evaluation;
  }

  @Override
  public RoundPartial<M> apply(TaskContext context,
      scala.collection.Iterator<ClientShard> partition) {
    Iterator<ClientShard> shards = JavaConverters.asJavaIterator(partition);
    WeightedParameterSum sum = null;
    ClientUpdateFunction.Session training = null;
    EvaluationFunction.Session<M> testing = null;
    List<Tuple2<Integer, M>> blocks = new ArrayList<>();
    long steps = 0;
    long trainingNanos = 0;
    long evaluationNanos = 0;
    while (shards.hasNext()) {
      ClientShard shard = shards.next();
      long start = System.nanoTime();
      if (shard.isTestBlock()) {
        if (testing == null) {
          testing = evaluation.open(global);
        }
        blocks.add(new Tuple2<>(shard.index(), testing.evaluate(shard)));
        evaluationNanos += System.nanoTime() - start;
      } else if (Arrays.binarySearch(sampled, shard.index()) >= 0) {
        if (training == null) {
          training = clientUpdate.open();
          sum = new WeightedParameterSum(layout);
        }
        steps += training.update(shard, global, round, sum);
        trainingNanos += System.nanoTime() - start;
      }
    }
    return new RoundPartial<>(sum, blocks, List.of(new RoundPartial.TaskReport(
        SparkEnv.get().executorId(), trainingNanos, steps, evaluationNanos)));
  }
}
