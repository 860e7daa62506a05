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
 * The work of one Spark task in a round's job: the first {@code trainingPartitions} partitions
 * train their sampled clients from the global model and sum their weighted updates; the
 * partitions after them are test blocks, on which the same global model (the previous round's
 * result) is evaluated.
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
  private final int trainingPartitions;
  private final ParameterLayout layout;
  private final ClientUpdateFunction clientUpdate;
  private final EvaluationFunction<M> evaluation;

  /**
   * @param global the global parameters: the model clients train from, and the one evaluated
   * @param sampled indices of the round's sampled clients, sorted
   * @param round the round number
   * @param trainingPartitions how many leading partitions hold clients; the rest are test blocks
   */
  RoundTask(float[] global, int[] sampled, int round, int trainingPartitions,
      ParameterLayout layout, ClientUpdateFunction clientUpdate,
      EvaluationFunction<M> evaluation) {
    this.global = global;
    this.sampled = sampled;
    this.round = round;
    this.trainingPartitions = trainingPartitions;
    this.layout = layout;
    this.clientUpdate = clientUpdate;
    this.evaluation = evaluation;
  }

  @Override
  public RoundPartial<M> apply(TaskContext context,
      scala.collection.Iterator<ClientShard> partition) {
    Iterator<ClientShard> shards = JavaConverters.asJavaIterator(partition);
    String executor = SparkEnv.get().executorId();
    long start = System.nanoTime();
    if (context.partitionId() >= trainingPartitions) {
      List<Tuple2<Integer, M>> blocks = evaluate(shards);
      return new RoundPartial<>(null, blocks, List.of(
          new RoundPartial.TaskReport(executor, 0, 0, System.nanoTime() - start)));
    }
    WeightedParameterSum sum = new WeightedParameterSum(layout);
    ClientUpdateFunction.Session session = null;
    long steps = 0;
    while (shards.hasNext()) {
      ClientShard shard = shards.next();
      if (Arrays.binarySearch(sampled, shard.index()) < 0) {
        continue;
      }
      if (session == null) {
        session = clientUpdate.open();
      }
      steps += session.update(shard, global, round, sum);
    }
    return new RoundPartial<>(sum, List.of(), List.of(
        new RoundPartial.TaskReport(executor, System.nanoTime() - start, steps, 0)));
  }

  /** Evaluates every test block of the partition; each result keyed by its block index. */
  private List<Tuple2<Integer, M>> evaluate(Iterator<ClientShard> blocks) {
    List<Tuple2<Integer, M>> results = new ArrayList<>();
    EvaluationFunction.Session<M> session = null;
    while (blocks.hasNext()) {
      ClientShard block = blocks.next();
      if (session == null) {
        session = evaluation.open(global);
      }
      results.add(new Tuple2<>(block.index(), session.evaluate(block)));
    }
    return results;
  }
}
