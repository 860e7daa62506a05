package org.fedmtl.federation;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.apache.spark.rdd.RDD;
import org.fedmtl.aggregation.Aggregator;
import org.fedmtl.aggregation.ParameterLayout;
import org.fedmtl.aggregation.WeightedParameterSum;
import org.fedmtl.data.ClientData;
import org.fedmtl.data.ClientShard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The federated rounds on Spark.
 *
 * <p>Each round the driver samples clients and runs one Spark job over the partitions that hold
 * sampled clients (the other partitions get no task) and the test blocks, grouped into about one
 * task per core by their expected cost ({@link BalancedCoalescer}). The job's task carries the
 * global parameters (Spark broadcasts a stage's task binary to the executors once). Each task
 * adds its clients' weighted parameters into one partial sum, so no client update is ever
 * collected on the driver, and evaluates the global model on its test blocks; the driver adds
 * the few partial sums, and the aggregator turns the total into the next global parameters,
 * which the next round's job trains from and evaluates.
 *
 * @param <M> the evaluation state
 */
public final class FederatedRounds<M extends Serializable> {
  private static final Logger LOG = LoggerFactory.getLogger(FederatedRounds.class);
  /** Most partial sums the driver takes in one job without a tree of merges. */
  static final int DRIVER_MERGE_LIMIT = 64;

  private final JavaSparkContext spark;
  private final ClientData clients;
  private final ClientData test;
  private final ParameterLayout layout;
  private final Aggregator aggregator;
  private final ClientUpdateFunction clientUpdate;
  private final EvaluationFunction<M> evaluation;
  private final FederationSpec spec;
  private final WorkCosts costs = new WorkCosts();

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
   * job is back, and the last round's model is evaluated by a job of its own. The listener of
   * round r - 1 is called before round r is aggregated: a stateful aggregator's state is then
   * still that after round r - 1, which is what a checkpoint of round r - 1 must hold.
   */
  public float[] run(float[] initial, int firstRound, RoundListener listener) {
    float[] global = initial;
    Pending pending = null;
    for (int round = firstRound; round <= spec.rounds(); round++) {
      long start = System.nanoTime();
      int[] sampled = ClientSampler.sample(spec.seed(), round, clients.clientCount(),
          spec.clientsPerRound());
      boolean evaluatePrevious = pending != null && pending.evaluate();

      describe(round, "local training of " + sampled.length + " clients"
          + (evaluatePrevious ? ", evaluation of round " + (round - 1) : ""));
      long trainingStart = System.nanoTime();
      JavaRDD<ClientShard> work = roundWork(sampled, evaluatePrevious);
      RoundPartial<M> partial = runJob(work, new RoundTask<>(global, sampled, round, layout,
          clientUpdate, evaluation));
      TaskStatistics statistics = new TaskStatistics(partial.reports());
      costs.add(statistics, trainedRows(sampled), evaluatePrevious ? test.rows() : 0);
      WeightedParameterSum sum = partial.sum();
      long aggregationStart = System.nanoTime();
      if (pending != null) {
        Map<String, Double> metrics = evaluatePrevious ? metrics(partial.blocks()) : Map.of();
        listener.onRound(pending.complete(metrics, statistics.evaluationSeconds()),
            pending.global());
      }

      long bytesMoved = ((long) layout.size() * Float.BYTES + sum.payloadBytes())
          * statistics.trainingTasks();
      if (sum.clients() < spec.minClients()) {
        LOG.warn("round {}: {} of {} sampled clients gave a usable update, fewer than "
            + "aggregation.min-clients = {}; the global model is kept", round, sum.clients(),
            sampled.length, spec.minClients());
      } else {
        global = aggregator.aggregate(global, sum, layout);
      }
      long end = System.nanoTime();
      RoundResult.Timings timings = new RoundResult.Timings(
          (aggregationStart - trainingStart) / 1e9, statistics.clientSeconds(),
          statistics.longestTaskSeconds(), spark.defaultParallelism(),
          (end - aggregationStart) / 1e9, 0, statistics.steps(), sum.examples());
      RoundResult result = new RoundResult(round, sampled.length, sum.clients(),
          sum.skippedClients(), sum.meanLoss(), Map.of(), sum.measurementMeans(),
          (end - start) / 1e9, bytesMoved, statistics.executors(), timings);
      pending = new Pending(result, global,
          round % spec.evaluateEvery() == 0 || round == spec.rounds());
    }
    if (pending != null) {
      Map<String, Double> metrics = Map.of();
      double seconds = 0;
      if (pending.evaluate()) {
        describe(pending.result().round(), "evaluation");
        long start = System.nanoTime();
        metrics = metrics(runJob(test.shards(), new RoundTask<>(global, new int[0],
            pending.result().round(), layout, clientUpdate, evaluation)).blocks());
        seconds = (System.nanoTime() - start) / 1e9;
      }
      listener.onRound(pending.complete(metrics, seconds), pending.global());
    }
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
          result.skippedClients(), result.trainLoss(), metrics, result.clientMeasurements(),
          result.seconds(), result.bytesMoved(), result.executors(), timings);
    }
  }

  /**
   * The round's job input: the partitions that hold the sampled clients, and no others, and the
   * test blocks when the previous model is evaluated; grouped into about one task per slot by
   * their expected cost, each group where its shards are cached.
   */
  private JavaRDD<ClientShard> roundWork(int[] sampled, boolean evaluate) {
    int[] partitions = partitionsOf(sampled);
    RDD<ClientShard> work = PartitionPruningRDD.create(clients.shards().rdd(),
        new PartitionFilter(partitions));
    int testPartitions = evaluate ? test.partitions() : 0;
    double[] cost = new double[partitions.length + testPartitions];
    for (int client : sampled) {
      cost[Arrays.binarySearch(partitions, clients.partitionOf(client))] +=
          clients.clientRows()[client];
    }
    if (evaluate) {
      work = spark.sc().union(work, JavaConverters.asScalaBuffer(List.of(test.shards().rdd()))
          .toSeq(), ClassTag$.MODULE$.apply(ClientShard.class));
      // Test rows go to blocks by a hash of their content, about as many to each, and block b
      // to partition b mod P.
      int blocks = test.clientCount();
      for (int p = 0; p < testPartitions; p++) {
        int held = (blocks - p + testPartitions - 1) / testPartitions;
        cost[partitions.length + p] = costs.testRowCost() * test.rows() * held / blocks;
      }
    }
    if (cost.length > spark.defaultParallelism()) {
      work = work.coalesce(spark.defaultParallelism(), false,
          Option.apply(new BalancedCoalescer(cost)), null);
    }
    return new JavaRDD<>(work, ClassTag$.MODULE$.apply(ClientShard.class));
  }

  private long trainedRows(int[] sampled) {
    long rows = 0;
    for (int client : sampled) {
      rows += clients.clientRows()[client];
    }
    return rows;
  }

  /**
   * The cost of evaluating a test row relative to training on a client row (all its local
   * epochs), from the task times of the rounds so far; it weighs test blocks against clients
   * when a round's work is grouped into tasks.
   */
  private static final class WorkCosts {
    /**
     * The guess before a round has measured both: a forward pass over a test row against
     * forward and backward passes over a client row in each of a few local epochs.
     */
    private static final double FIRST_TEST_ROW_COST = 0.1;

    private double trainingSeconds;
    private long trainedRows;
    private double evaluationSeconds;
    private long evaluatedRows;

    void add(TaskStatistics statistics, long trained, long evaluated) {
      trainingSeconds += statistics.clientSeconds();
      trainedRows += trained;
      if (evaluated > 0) {
        evaluationSeconds += statistics.evaluationSeconds();
        evaluatedRows += evaluated;
      }
    }

    double testRowCost() {
      if (trainingSeconds <= 0 || evaluationSeconds <= 0) {
        return FIRST_TEST_ROW_COST;
      }
      return (evaluationSeconds / evaluatedRows) / (trainingSeconds / trainedRows);
    }
  }

  /**
   * Runs {@code task} on every partition of {@code work} in one job and merges what the tasks
   * return. Up to {@link #DRIVER_MERGE_LIMIT} partials go straight to the driver, which merges
   * them; beyond that they are combined with {@code treeReduce}, as deep as their number needs.
   * Client updates are never collected one by one.
   */
  @SuppressWarnings("unchecked")
  private RoundPartial<M> runJob(JavaRDD<ClientShard> work, RoundTask<M> task) {
    int partitions = work.getNumPartitions();
    if (partitions > DRIVER_MERGE_LIMIT) {
      return work.mapPartitions(shards -> List.of(task.apply(TaskContext.get(),
          JavaConverters.asScalaIterator(shards))).iterator(), false)
          .treeReduce(RoundPartial::merge, treeDepth(partitions));
    }
    List<Object> all = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      all.add(p);
    }
    ClassTag<RoundPartial<M>> tag = ClassTag$.MODULE$.apply(RoundPartial.class);
    RoundPartial<M>[] results = (RoundPartial<M>[]) spark.sc().runJob(work.rdd(), task,
        JavaConverters.asScalaBuffer(all).toSeq(), tag);
    RoundPartial<M> merged = results[0];
    for (int r = 1; r < results.length; r++) {
      merged = merged.merge(results[r]);
    }
    return merged;
  }

  /**
   * Depth of the reduce tree for more than {@link #DRIVER_MERGE_LIMIT} partials: each level cuts
   * their count by up to that factor before the driver merges the rest.
   */
  static int treeDepth(int partials) {
    int depth = 1;
    for (long reach = DRIVER_MERGE_LIMIT; reach < partials; reach *= DRIVER_MERGE_LIMIT) {
      depth++;
    }
    return depth;
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

  private int[] partitionsOf(int[] sampled) {
    return Arrays.stream(sampled).map(clients::partitionOf).distinct().sorted().toArray();
  }

  private void describe(int round, String phase) {
    spark.setJobGroup("round-" + round,
        "round " + round + "/" + spec.rounds() + ": " + phase, false);
  }
}
