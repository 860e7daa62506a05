package org.fedmtl.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.apache.spark.SparkStatusTracker;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.util.ModelSerializer;
import org.fedmtl.SparkTests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rounds whose job has more partial sums than the driver merges directly are reduced through a
 * tree, with the same result as the direct merge.
 */
class TreeMergeTest {
  @TempDir
  static Path root;
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    // 80 task slots: 70 sampled clients in 70 partitions stay 70 tasks, more than the driver
    // merges without a tree.
    spark = SparkSession.builder().master("local[2]").appName("fedmtl-test-tree")
        .config("spark.default.parallelism", "80")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void treeReducedRoundsEqualDriverMergedRounds() throws Exception {
    String[] experiment = {"rounds=3", "clients-per-round=70", "local.epochs=1",
        "data.synthetic.clients=100", "data.synthetic.rows-per-client=20",
        "data.synthetic.test-rows=500"};
    ExperimentConfig tree = SparkTests.smallExperiment(root, "tree",
        with(experiment, "data.partitions=100"));
    new TrainingJob(spark, tree).run(TrainingJob.prepare(tree));
    // Round 2's job trains round 2 and evaluates round 1 (round 3's group also holds the final
    // evaluation).
    int treeStages = stagesOfLatestJob("round-2");

    ExperimentConfig direct = SparkTests.smallExperiment(root, "direct",
        with(experiment, "data.partitions=10"));
    new TrainingJob(spark, direct).run(TrainingJob.prepare(direct));
    int directStages = stagesOfLatestJob("round-2");
    assertTrue(treeStages > directStages, "round 2 of the first run was reduced through a tree ("
        + treeStages + " stages against " + directStages + ")");

    assertEquals(SparkTests.metricColumns(root.resolve("tree/history.csv")),
        SparkTests.metricColumns(root.resolve("direct/history.csv")));
    assertArrayEquals(
        ModelSerializer.restoreComputationGraph(root.resolve("tree/model.zip").toFile())
            .params().toFloatVector(),
        ModelSerializer.restoreComputationGraph(root.resolve("direct/model.zip").toFile())
            .params().toFloatVector());
  }

  /** Stages of the group's newest job, those it skipped (the cached input's) included. */
  private static int stagesOfLatestJob(String group) {
    SparkStatusTracker tracker = spark.sparkContext().statusTracker();
    int job = Arrays.stream(tracker.getJobIdsForGroup(group)).max().getAsInt();
    return tracker.getJobInfo(job).get().stageIds().length;
  }

  private static String[] with(String[] experiment, String extra) {
    String[] all = Arrays.copyOf(experiment, experiment.length + 1);
    all[experiment.length] = extra;
    return all;
  }
}
