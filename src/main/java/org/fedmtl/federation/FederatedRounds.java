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
 * sampled clients (the other partitions get no task), coalesced to one task per core, plus the
 * test blocks. The job's task carries the global parameters (Spark broadcasts a stage's task
 * binary to the executors once). Each training task adds its clients' weighted parameters into
 * one partial sum, so no client update is ever collected on the driver; the driver adds the few
 * partial sums, and the aggregator turns the total into the next global parameters, which the
 * next round's job trains from and evaluates.
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
    Pending pending = null;
    for (int round = firstRound; round <= spec.rounds(); round++) {
      long start = System.nanoTime();
      int[] sampled = ClientSampler.sample(spec.seed(), round, clients.clientCount(),
          spec.clientsPerRound());
      boolean evaluatePrevious = pending != null && pending.evaluate();

      describe(round, "local training of " + sampled.length + " clients"
          + (evaluatePrevious ? ", evaluation of round " + (round - 1) : ""));
      long trainingStart = System.nanoTime();
      JavaRDD<ClientShard> work = trainingWork(sampled);
      int trainingTasks = work.getNumPartitions();
      if (evaluatePrevious) {
        work = work.union(test.shards());
      }
      RoundPartial<M> partial = runJob(work, new RoundTask<>(global, sampled, round,
          trainingTasks, layout, clientUpdate, evaluation));
      TaskStatistics statistics = new TaskStatistics(partial.reports());
      WeightedParameterSum sum = partial.sum();
      long aggregationStart = System.nanoTime();
      if (pending != null) {
        Map<String, Double> metrics = evaluatePrevious ? metrics(partial.blocks()) : Map.of();
        listener.onRound(pending.complete(metrics, statistics.evaluationSeconds()),
            pending.global());
      }

      long bytesMoved = ((long) layout.size() * Float.BYTES + sum.payloadBytes())
          * trainingTasks;
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
        metrics = metrics(runJob(test.shards(), new RoundTask<>(global, new int[0],
            pending.result().round(), 0, layout, clientUpdate, evaluation)).blocks());
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
          result.skippedClients(), result.trainLoss(), metrics, result.seconds(),
          result.bytesMoved(), result.executors(), timings);
    }
  }

  /**
   * The partitions that hold the sampled clients, and no others, grouped into at most about one
   * task per slot by the examples to train on, each group where its clients are cached.
   */
  private JavaRDD<ClientShard> trainingWork(int[] sampled) {
    int[] partitions = partitionsOf(sampled);
    ClassTag<ClientShard> tag = ClassTag$.MODULE$.apply(ClientShard.class);
    RDD<ClientShard> work = PartitionPruningRDD.create(clients.shards().rdd(),
        new PartitionFilter(partitions));
    int slots = spark.defaultParallelism();
    if (partitions.length > slots) {
      // Fewer tasks to schedule, the same sums.
      long[] examples = new long[partitions.length];
      for (int client : sampled) {
        examples[Arrays.binarySearch(partitions, clients.partitionOf(client))] +=
            clients.clientRows()[client];
      }
      work = work.coalesce(slots, false, Option.apply(new BalancedCoalescer(examples)), null);
    }
    return new JavaRDD<>(work, tag);
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
