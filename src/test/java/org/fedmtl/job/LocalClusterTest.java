package org.fedmtl.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.fedmtl.SparkTests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on local-cluster[2,1,1024]: two executors in their own JVMs, so every closure,
 * broadcast and partial sum crosses a serializer, as on a real cluster. The history must equal
 * the one of the same experiment in local[2].
 */
class LocalClusterTest {
  @TempDir
  Path root;

  @Test
  void clusterRunEqualsLocalRun() throws Exception {
    SparkSession local = SparkTests.session("local[2]");
    try {
      ExperimentConfig config = SparkTests.smallExperiment(root, "local", "rounds=3");
      new TrainingJob(local, config).run(TrainingJob.prepare(config));
    } finally {
      local.stop();
    }

    SparkSession cluster = SparkTests.localCluster();
    try {
      ExperimentConfig config = SparkTests.smallExperiment(root, "cluster", "rounds=3");
      new TrainingJob(cluster, config).run(TrainingJob.prepare(config));
      assertEquals(2, cluster.sparkContext().getExecutorMemoryStatus().size() - 1,
          "two executors besides the driver");
    } finally {
      cluster.stop();
    }

    List<String> localHistory = SparkTests.metricColumns(root.resolve("local/history.csv"));
    List<String> clusterHistory = SparkTests.metricColumns(root.resolve("cluster/history.csv"));
    assertEquals(4, clusterHistory.size());
    assertEquals(localHistory, clusterHistory);
  }
}
