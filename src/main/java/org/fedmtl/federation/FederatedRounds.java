package org.fedmtl.federation;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.fedmtl.aggregation.Aggregator;
import org.fedmtl.aggregation.ParameterLayout;
import org.fedmtl.aggregation.WeightedParameterSum;
import org.fedmtl.data.ClientData;
import org.fedmtl.data.ClientShard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The federated rounds on Spark.
 *
 * <p>Each round the driver samples clients, broadcasts the global parameters, and runs local
 * training only in the partitions that hold sampled clients (the other partitions get no task).
 * Each task adds its clients' weighted parameters into one partial sum, and the partial sums are
 * combined with {@code treeReduce}, so no client update is ever collected on the driver. The
 * aggregator turns the total into the next global parameters, whose broadcast serves the next
 * round's training and the evaluation (in the same Spark job); the previous broadcast is then
 * released.
 *
 * @param <M> the evaluation state
 */
public final class FederatedRounds<M extends Serializable> {
  private static final Logger LOG = LoggerFactory.getLogger(FederatedRounds.class);

  private final JavaSparkContext spark;
  private final ClientData clients;
  private final ClientData test;
  private final ParameterLayout layout;
  private final Aggregator aggregator;
  private final ClientUpdateFunction clientUpdate;
  private final EvaluationFunction<M> evaluation;
  private final FederationSpec spec;

  public FederatedRounds(JavaSparkContext spark, ClientData clients, ClientData test,
      ParameterLayout layout, Aggregator aggregator, ClientUpdateFunction clientUpdate,
      EvaluationFunction<M> evaluation, FederationSpec spec) {
    this.spark = spark;
    this.clients = clients;
    this.test = test;
    this.layout = layout;
    this.aggregator = aggregator;
    this.clientUpdate = clientUpdate;
    this.evaluation = evaluation;
    this.spec = spec;
  }

  /**
   * Runs rounds {@code firstRound..spec.rounds()} from {@code initial}; returns the final model.
   *
   * <p>One Spark job a round: the job that trains round r's clients also evaluates the global
   * model of round r - 1 on the test blocks, so round r - 1 reaches the listener once round r's
   * job is back, and the last round's model is evaluated by a job of its own.
   */
  public float[] run(float[] initial, int firstRound, RoundListener listener) {
    float[] global = initial;
    Broadcast<float[]> broadcast = spark.broadcast(global);
    Pending pending = null;
    for (int round = firstRound; round <= spec.rounds(); round++) {
      long start = System.nanoTime();
      int[] sampled = ClientSampler.sample(spec.seed(), round, clients.clientCount(),
          spec.clientsPerRound());
      boolean evaluatePrevious = pending != null && pending.evaluate();

      describe(round, "local training of " + sampled.length + " clients"
          + (evaluatePrevious ? ", evaluation of round " + (round - 1) : ""));
      TaskStatistics statistics = new TaskStatistics(spark);
      long trainingStart = System.nanoTime();
      RoundPartial<M> partial = trainAndEvaluate(broadcast, sampled, round, evaluatePrevious,
          statistics);
      WeightedParameterSum sum = partial.sum();
      long aggregationStart = System.nanoTime();
      if (pending != null) {
        Map<String, Double> metrics = evaluatePrevious ? metrics(partial.blocks()) : Map.of();
        listener.onRound(pending.complete(metrics, statistics.evaluationSeconds()),
            pending.global());
      }

      long bytesMoved = ((long) layout.size() * Float.BYTES + sum.payloadBytes())
          * partitionsOf(sampled).length;
      if (sum.clients() < spec.minClients()) {
        LOG.warn("round {}: {} of {} sampled clients gave a usable update, fewer than "
            + "aggregation.min-clients = {}; the global model is kept", round, sum.clients(),
            sampled.length, spec.minClients());
      } else {
        global = aggregator.aggregate(global, sum, layout);
        broadcast.destroy();
        broadcast = spark.broadcast(global);
      }
      long end = System.nanoTime();
      RoundResult.Timings timings = new RoundResult.Timings(
          (aggregationStart - trainingStart) / 1e9, statistics.clientSeconds(),
          statistics.longestTaskSeconds(), spark.defaultParallelism(),
          (end - aggregationStart) / 1e9, 0, statistics.steps(), sum.examples());
      RoundResult result = new RoundResult(round, sampled.length, sum.clients(),
          sum.skippedClients(), sum.meanLoss(), Map.of(), (end - start) / 1e9, bytesMoved,
          statistics.executors(), timings);
      pending = new Pending(result, global,
          round % spec.evaluateEvery() == 0 || round == spec.rounds());
    }
    if (pending != null) {
      Map<String, Double> metrics = Map.of();
      double seconds = 0;
      if (pending.evaluate()) {
        describe(pending.result().round(), "evaluation");
        long start = System.nanoTime();
        metrics = evaluate(broadcast);
        seconds = (System.nanoTime() - start) / 1e9;
      }
      listener.onRound(pending.complete(metrics, seconds), pending.global());
    }
    broadcast.destroy();
    spark.clearJobGroup();
    return global;
  }

  /** A round whose result waits for the evaluation of its model in the next round's job. */
  private record Pending(RoundResult result, float[] global, boolean evaluate) {
    RoundResult complete(Map<String, Double> metrics, double evaluationSeconds) {
      RoundResult.Timings t = result.timings();
      RoundResult.Timings timings = new RoundResult.Timings(t.trainingJobSeconds(),
          t.clientSeconds(), t.longestTaskSeconds(), t.slots(), t.aggregationSeconds(),
          evaluationSeconds, t.steps(), t.examples());
      return new RoundResult(result.round(), result.sampledClients(), result.trainedClients(),
          result.skippedClients(), result.trainLoss(), metrics, result.seconds(),
          result.bytesMoved(), result.executors(), timings);
    }
  }

  /** What one Spark task returns: a partial sum, or evaluations of test blocks, or both. */
  private record RoundPartial<M>(WeightedParameterSum sum, List<Tuple2<Integer, M>> blocks)
      implements Serializable {
    RoundPartial<M> merge(RoundPartial<M> other) {
      List<Tuple2<Integer, M>> all = new ArrayList<>(blocks);
      all.addAll(other.blocks);
      return new RoundPartial<>(sum.merge(other.sum), all);
    }
  }

  private RoundPartial<M> trainAndEvaluate(Broadcast<float[]> global, int[] sampled, int round,
      boolean evaluate, TaskStatistics statistics) {
    int[] partitions = partitionsOf(sampled);
    ClassTag<ClientShard> tag = ClassTag$.MODULE$.apply(ClientShard.class);
    JavaRDD<ClientShard> work = new JavaRDD<>(
        PartitionPruningRDD.create(clients.shards().rdd(), new PartitionFilter(partitions)), tag);
    int slots = spark.defaultParallelism();
    if (partitions.length > slots) {
      // One task per core rather than per partition: fewer tasks to schedule, the same sums.
      work = work.coalesce(slots);
    }
    int trainingPartitions = work.getNumPartitions();
    if (evaluate) {
      work = work.union(test.shards());
    }
    ParameterLayout layout = this.layout;
    ClientUpdateFunction clientUpdate = this.clientUpdate;
    EvaluationFunction<M> evaluation = this.evaluation;
    return work.mapPartitionsWithIndex((index, shards) -> {
      WeightedParameterSum partial = new WeightedParameterSum(layout);
      List<Tuple2<Integer, M>> blocks = new ArrayList<>();
      long start = System.nanoTime();
      if (index >= trainingPartitions) {
        blocks.addAll(evaluateBlocks(shards, evaluation, global));
        statistics.recordEvaluation(System.nanoTime() - start);
        return Collections.singletonList(new RoundPartial<>(partial, blocks)).iterator();
      }
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
        steps += session.update(shard, global.value(), round, partial);
      }
      statistics.recordTask(System.nanoTime() - start, steps);
      return Collections.singletonList(new RoundPartial<>(partial, blocks)).iterator();
    }, false).treeReduce(RoundPartial::merge, treeDepth(work.getNumPartitions()));
  }

  private Map<String, Double> metrics(List<Tuple2<Integer, M>> blocks) {
    List<Tuple2<Integer, M>> sorted = new ArrayList<>(blocks);
    sorted.sort(Comparator.comparing(Tuple2::_1));
    M total = sorted.get(0)._2();
    for (int b = 1; b < sorted.size(); b++) {
      total = evaluation.merge(total, sorted.get(b)._2());
    }
    return evaluation.metrics(total);
  }

  private Map<String, Double> evaluate(Broadcast<float[]> parameters) {
    EvaluationFunction<M> evaluation = this.evaluation;
    List<Tuple2<Integer, M>> blocks = test.shards()
        .mapPartitions(shards -> evaluateBlocks(shards, evaluation, parameters).iterator())
        .collect();
    return metrics(blocks);
  }

  /** Evaluates every block of a partition; each result keyed by its block index. */
  private static <M extends Serializable> List<Tuple2<Integer, M>> evaluateBlocks(
      java.util.Iterator<ClientShard> blocks, EvaluationFunction<M> evaluation,
      Broadcast<float[]> parameters) {
    List<Tuple2<Integer, M>> results = new ArrayList<>();
    EvaluationFunction.Session<M> session = null;
    while (blocks.hasNext()) {
      ClientShard block = blocks.next();
      if (session == null) {
        session = evaluation.open(parameters.value());
      }
      results.add(new Tuple2<>(block.index(), session.evaluate(block)));
    }
    return results;
  }

  private int[] partitionsOf(int[] sampled) {
    return Arrays.stream(sampled).map(clients::partitionOf).distinct().sorted().toArray();
  }

  /**
   * Depth of the reduce tree: the driver merges up to 64 partial sums itself (one stage, no
   * shuffle); beyond that each further level cuts the count by up to 64.
   */
  static int treeDepth(int partials) {
    int depth = 1;
    for (long reach = 64; reach < partials; reach *= 64) {
      depth++;
    }
    return depth;
  }

  private void describe(int round, String phase) {
    spark.setJobGroup("round-" + round,
        "round " + round + "/" + spec.rounds() + ": " + phase, false);
  }
}
