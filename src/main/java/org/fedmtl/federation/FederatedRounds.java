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
 * aggregator turns the total into the next global parameters, whose broadcast also serves the
 * evaluation and the next round's training; the previous broadcast is then released.
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

  /** Runs rounds {@code firstRound..spec.rounds()} from {@code initial}; returns the final model. */
  public float[] run(float[] initial, int firstRound, RoundListener listener) {
    float[] global = initial;
    Broadcast<float[]> broadcast = spark.broadcast(global);
    for (int round = firstRound; round <= spec.rounds(); round++) {
      long start = System.nanoTime();
      int[] sampled = ClientSampler.sample(spec.seed(), round, clients.clientCount(),
          spec.clientsPerRound());

      describe(round, "local training of " + sampled.length + " clients");
      TaskStatistics statistics = new TaskStatistics(spark);
      long trainingStart = System.nanoTime();
      WeightedParameterSum sum = trainSampled(broadcast, sampled, round, statistics);
      long aggregationStart = System.nanoTime();
      long bytesMoved = (long) layout.size() * Float.BYTES * partitionsOf(sampled).length
          + sum.payloadBytes() * partitionsOf(sampled).length;
      if (sum.clients() < spec.minClients()) {
        LOG.warn("round {}: {} of {} sampled clients gave a usable update, fewer than "
            + "aggregation.min-clients = {}; the global model is kept", round, sum.clients(),
            sampled.length, spec.minClients());
      } else {
        global = aggregator.aggregate(global, sum, layout);
        broadcast.destroy();
        broadcast = spark.broadcast(global);
      }

      long evaluationStart = System.nanoTime();
      Map<String, Double> metrics = Map.of();
      if (round % spec.evaluateEvery() == 0 || round == spec.rounds()) {
        describe(round, "evaluation");
        metrics = evaluate(broadcast);
      }
      long end = System.nanoTime();
      RoundResult.Timings timings = new RoundResult.Timings(
          (aggregationStart - trainingStart) / 1e9, statistics.clientSeconds(),
          statistics.longestTaskSeconds(), spark.defaultParallelism(),
          (evaluationStart - aggregationStart) / 1e9,
          (end - evaluationStart) / 1e9, statistics.steps(), sum.examples());
      listener.onRound(new RoundResult(round, sampled.length, sum.clients(),
          sum.skippedClients(), sum.meanLoss(), metrics, (end - start) / 1e9, bytesMoved,
          statistics.executors(), timings), global);
    }
    broadcast.destroy();
    spark.clearJobGroup();
    return global;
  }

  /** Evaluates {@code parameters} on the test blocks. */
  public Map<String, Double> evaluate(float[] parameters) {
    Broadcast<float[]> broadcast = spark.broadcast(parameters);
    try {
      return evaluate(broadcast);
    } finally {
      broadcast.destroy();
    }
  }

  private WeightedParameterSum trainSampled(Broadcast<float[]> global, int[] sampled, int round,
      TaskStatistics statistics) {
    int[] partitions = partitionsOf(sampled);
    ClassTag<ClientShard> tag = ClassTag$.MODULE$.apply(ClientShard.class);
    JavaRDD<ClientShard> selected = new JavaRDD<>(
        PartitionPruningRDD.create(clients.shards().rdd(), new PartitionFilter(partitions)), tag);
    ParameterLayout layout = this.layout;
    ClientUpdateFunction clientUpdate = this.clientUpdate;
    return selected.mapPartitions(shards -> {
      WeightedParameterSum partial = new WeightedParameterSum(layout);
      ClientUpdateFunction.Session session = null;
      long trainingNanos = 0;
      long steps = 0;
      while (shards.hasNext()) {
        ClientShard shard = shards.next();
        if (Arrays.binarySearch(sampled, shard.index()) < 0) {
          continue;
        }
        long clientStart = System.nanoTime();
        if (session == null) {
          session = clientUpdate.open();
        }
        steps += session.update(shard, global.value(), round, partial);
        trainingNanos += System.nanoTime() - clientStart;
      }
      statistics.recordTask(trainingNanos, steps);
      return Collections.singletonList(partial).iterator();
    }).treeReduce(WeightedParameterSum::merge, treeDepth(partitions.length));
  }

  private Map<String, Double> evaluate(Broadcast<float[]> parameters) {
    EvaluationFunction<M> evaluation = this.evaluation;
    List<Tuple2<Integer, M>> blocks = new ArrayList<>(test.shards().mapPartitions(shards -> {
      List<Tuple2<Integer, M>> results = new ArrayList<>();
      EvaluationFunction.Session<M> session = null;
      while (shards.hasNext()) {
        ClientShard block = shards.next();
        if (session == null) {
          session = evaluation.open(parameters.value());
        }
        results.add(new Tuple2<>(block.index(), session.evaluate(block)));
      }
      return results.iterator();
    }).collect());
    blocks.sort(Comparator.comparing(Tuple2::_1));
    M total = blocks.get(0)._2();
    for (int b = 1; b < blocks.size(); b++) {
      total = evaluation.merge(total, blocks.get(b)._2());
    }
    return evaluation.metrics(total);
  }

  private int[] partitionsOf(int[] sampled) {
    return Arrays.stream(sampled).map(clients::partitionOf).distinct().sorted().toArray();
  }

  /** Two levels up to 64 partial sums, one more for each further factor of 8. */
  static int treeDepth(int partials) {
    int depth = 2;
    for (long reach = 64; reach < partials; reach *= 8) {
      depth++;
    }
    return depth;
  }

  private void describe(int round, String phase) {
    spark.setJobGroup("round-" + round,
        "round " + round + "/" + spec.rounds() + ": " + phase, false);
  }
}
