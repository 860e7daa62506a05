package org.fedmtl.job;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.fedmtl.client.MiniBatches;
import org.fedmtl.data.ClientData;
import org.fedmtl.data.ClientDataLoader;
import org.fedmtl.data.ClientShard;
import org.fedmtl.model.MultiTaskNetwork;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The baseline a Spark user reaches for first: DL4J Spark's synchronous parameter averaging
 * ({@link ParameterAveragingTrainingMaster} on a {@link SparkComputationGraph}), training the same
 * network on the same training rows in the same mini-batches. It is not federated (workers see
 * arbitrary slices of the data), so only its throughput is compared.
 */
final class ParameterAveragingBaseline {
  private static final int AVERAGING_FREQUENCY = 5;

  private final SparkSession spark;
  private final ExperimentConfig config;

  ParameterAveragingBaseline(SparkSession spark, ExperimentConfig config) {
    this.spark = spark;
    this.config = config;
  }

  /** Trains {@code epochs} passes over the training rows; returns examples per second. */
  double samplesPerSecond(int epochs) {
    JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
    ClientData clients = new ClientDataLoader(spark, config.data(), config.tasks())
        .loadTraining();
    int batch = config.local().batchSize();
    var tasks = config.tasks();
    JavaRDD<MultiDataSet> batches = clients.shards().flatMap(shard -> batches(shard, tasks, batch)
        .iterator())
        .repartition(context.defaultParallelism());

    ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(batch)
        .batchSizePerWorker(batch)
        .averagingFrequency(AVERAGING_FREQUENCY)
        .workerPrefetchNumBatches(0)
        .rddTrainingApproach(RDDTrainingApproach.Direct)
        .collectTrainingStats(false)
        .build();
    SparkComputationGraph network = new SparkComputationGraph(context,
        MultiTaskNetwork.configuration(config.model(), tasks, config.seed()), master);
    // The training master caches the batches itself; the first pass also warms up.
    network.fitMultiDataSet(batches);

    long start = System.nanoTime();
    for (int epoch = 0; epoch < epochs; epoch++) {
      network.fitMultiDataSet(batches);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    clients.shards().unpersist();
    return clients.rows() * (double) epochs / seconds;
  }

  private static List<MultiDataSet> batches(ClientShard shard,
      List<org.fedmtl.tasks.TaskSpec> tasks, int batch) {
    int[] rows = new int[shard.rows()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = i;
    }
    List<MultiDataSet> batches = new ArrayList<>();
    for (int from = 0; from < rows.length; from += batch) {
      batches.add(MiniBatches.batch(shard, tasks, rows, from, Math.min(rows.length, from + batch)));
    }
    return batches;
  }
}
