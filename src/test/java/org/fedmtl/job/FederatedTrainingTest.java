package org.fedmtl.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkStatusTracker;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.fedmtl.InvalidInputException;
import org.fedmtl.SparkTests;
import org.fedmtl.tasks.TaskEvaluation;
import org.fedmtl.report.RunDirectory;
import org.fedmtl.report.RunReport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole job in local[2]: outputs, learning, and determinism across partitionings. */
class FederatedTrainingTest {
  @TempDir
  static Path root;
  private static SparkSession spark;
  private static Map<String, Object> summary;

  @BeforeAll
  static void runOnce() {
    spark = SparkTests.session("local[2]");
    ExperimentConfig config = SparkTests.smallExperiment(root, "run1");
    summary = new TrainingJob(spark, config).run(TrainingJob.prepare(config));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void leavesItsFilesWithOneHistoryRowPerRound() throws Exception {
    Path run = root.resolve("run1");
    for (String file : List.of(RunDirectory.HISTORY, RunDirectory.SUMMARY, RunDirectory.CONFIG,
        RunDirectory.MODEL, RunReport.FILE)) {
      assertTrue(Files.isRegularFile(run.resolve(file)), file);
      assertEquals(Files.getPosixFilePermissions(run.resolve(RunDirectory.HISTORY)),
          Files.getPosixFilePermissions(run.resolve(file)), file + " as readable as the rest");
    }
    List<String> history = Files.readAllLines(run.resolve(RunDirectory.HISTORY));
    assertEquals("round,clients,seconds,train_loss,task1.accuracy,task1.f1,task2.accuracy,"
        + "task2.f1,affinity:task1->task1,affinity:task1->task2,affinity:task2->task1,"
        + "affinity:task2->task2,bytes_moved", history.get(0));
    assertEquals(5, history.size());
    assertTrue(history.get(4).startsWith("4,4,"));
    ExperimentConfig reloaded = ConfigLoader.load(run.resolve(RunDirectory.CONFIG).toFile(),
        List.of());
    assertEquals(4, reloaded.federation().rounds());
  }

  @Test
  void aRoundIsOneTaskPerSlotThatTrainsAndEvaluates() {
    // Round 2 trains 4 of the 8 clients (in 4 partitions) and evaluates round 1 on the test
    // block: 5 partitions, grouped into one task for each of local[2]'s 2 slots. (No run of this
    // class ends after round 2: its final evaluation would be a job of 1 task in this group.)
    SparkStatusTracker tracker = spark.sparkContext().statusTracker();
    int[] jobs = tracker.getJobIdsForGroup("round-2");
    assertTrue(jobs.length > 0);
    for (int job : jobs) {
      int resultStage = Arrays.stream(tracker.getJobInfo(job).get().stageIds()).max().getAsInt();
      assertEquals(2, tracker.getStageInfo(resultStage).get().numTasks(), "job " + job);
    }
  }

  @Test
  void learnsBothTasksFarAboveChance() throws Exception {
    JsonNode json = new ObjectMapper().readTree(root.resolve("run1/summary.json").toFile());
    double task1 = json.at("/metrics/task1.accuracy/final").asDouble();
    double task2 = json.at("/metrics/task2.accuracy/final").asDouble();
    assertTrue(task1 > 0.35, "task1 accuracy " + task1 + " (chance 0.10)");
    assertTrue(task2 > 0.27, "task2 accuracy " + task2 + " (chance 0.20)");
    assertTrue(json.at("/metrics/task1.accuracy/best").asDouble() >= task1);
    assertEquals(42, json.get("seed").asInt());
    assertTrue(json.get("config_digest").asText().startsWith("sha256:"));
    assertEquals("3.5.9", json.at("/versions/spark").asText());
    assertEquals(summary.get("clients"), 8);
  }

  @Test
  void aRunStoppedByBadInputAfterLoadingLeavesNothingCached() {
    ExperimentConfig config = SparkTests.smallExperiment(root, "too-many",
        "clients-per-round=20");
    assertThrows(InvalidInputException.class,
        () -> new TrainingJob(spark, config).run(TrainingJob.prepare(config)));
    assertEquals(0, spark.sparkContext().getPersistentRDDs().size(),
        spark.sparkContext().getPersistentRDDs().toString());
  }

  @Test
  void taskAffinityIsMeasuredEveryRoundAndSummarised() throws Exception {
    List<String> lines = Files.readAllLines(root.resolve("run1/history.csv"));
    List<String> header = List.of(lines.get(0).split(","));
    List<Map<String, String>> rows = new java.util.ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",", -1);
      Map<String, String> row = new java.util.HashMap<>();
      for (int c = 0; c < cells.length; c++) {
        row.put(header.get(c), cells[c]);
      }
      rows.add(row);
    }
    for (Map<String, String> row : rows) {
      // A step on a task's own loss lowers it: its self-affinity is positive.
      assertTrue(Double.parseDouble(row.get("affinity:task1->task1")) > 0, row.toString());
      assertTrue(Double.parseDouble(row.get("affinity:task2->task2")) > 0, row.toString());
      assertTrue(Double.isFinite(Double.parseDouble(row.get("affinity:task1->task2"))));
    }
    JsonNode affinity = new ObjectMapper().readTree(root.resolve("run1/summary.json").toFile())
        .get("task_affinity");
    double mean = rows.stream().mapToDouble(r -> Double.parseDouble(
        r.get("affinity:task2->task1"))).average().orElseThrow();
    assertEquals(mean, affinity.at("/task2/task1").asDouble(), 1e-12);
  }

  @Test
  void measuringTaskAffinityChangesNoTraining() throws Exception {
    // DL4J with one-row batches: the case where a measurement once cost clients their update.
    List<String> settings = List.of("rounds=3", "local.epochs=1", "local.engine=dl4j",
        "local.batch-size=1");
    List<List<String>> histories = new java.util.ArrayList<>();
    for (String every : List.of("0", "1")) {
      List<String> overrides = new java.util.ArrayList<>(settings);
      overrides.add("analysis.task-affinity-every=" + every);
      ExperimentConfig config = SparkTests.smallExperiment(root, "affinity-" + every,
          overrides.toArray(String[]::new));
      new TrainingJob(spark, config).run(TrainingJob.prepare(config));
      histories.add(withoutAffinity(root.resolve("affinity-" + every + "/history.csv")));
    }
    assertEquals(histories.get(0), histories.get(1));
    assertTrue(histories.get(0).get(1).startsWith("1,4,"), "every client trained");
  }

  /** The cells of a history that training determines: no affinity, seconds or bytes. */
  private static List<String> withoutAffinity(Path history) throws Exception {
    List<String> lines = Files.readAllLines(history);
    String[] header = lines.get(0).split(",", -1);
    List<String> kept = new java.util.ArrayList<>();
    for (String line : lines) {
      String[] cells = line.split(",", -1);
      StringBuilder row = new StringBuilder();
      for (int c = 0; c < cells.length; c++) {
        if (!header[c].startsWith("affinity:") && !header[c].equals("seconds")
            && !header[c].equals("bytes_moved")) {
          row.append(cells[c]).append(',');
        }
      }
      kept.add(row.toString());
    }
    return kept;
  }

  @Test
  void aServerOptimizerChangesTheRunAndResumesExactly() throws Exception {
    String[] adam = {"aggregation.server-optimizer=adam", "aggregation.server-learning-rate=0.05",
        "checkpoint.every=2", "analysis.task-affinity-every=0"};
    ExperimentConfig whole = SparkTests.smallExperiment(root, "adam", adam);
    new TrainingJob(spark, whole).run(TrainingJob.prepare(whole));
    ExperimentConfig config = SparkTests.smallExperiment(root, "adam-stopped", adam);
    TrainingJob stopped = new TrainingJob(spark, config);
    stopped.failAfterRound(3);
    RunDirectory run = TrainingJob.prepare(config);
    assertThrows(IllegalStateException.class, () -> stopped.run(run));
    run.closeHistory();

    new TrainingJob(spark, config).resume(RunDirectory.resume(root.resolve("adam-stopped"),
        config.historyColumns()));

    assertEquals(SparkTests.metricColumns(root.resolve("adam/history.csv")),
        SparkTests.metricColumns(root.resolve("adam-stopped/history.csv")),
        "the moments in the checkpoint carry the server optimizer on");
    assertNotEquals(withoutAffinity(root.resolve("run1/history.csv")),
        withoutAffinity(root.resolve("adam/history.csv")));
  }

  @Test
  void participationCountsEverySampledClientOnce() throws Exception {
    // 4 rounds of 4 of the 8 clients: 16 samples over the 8 clients.
    JsonNode rows = new ObjectMapper().readTree(root.resolve("run1/summary.json").toFile())
        .get("client_participation");
    int clients = 0;
    int samples = 0;
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(i, rows.get(i).get("rounds").asInt());
      clients += rows.get(i).get("clients").asInt();
      samples += i * rows.get(i).get("clients").asInt();
    }
    assertEquals(8, clients);
    assertEquals(16, samples);
    assertTrue(rows.get(rows.size() - 1).get("clients").asInt() > 0, "ends at the most rounds");
  }

  @Test
  void sameSeedGivesTheSameRunWhateverThePartitioning() throws Exception {
    ExperimentConfig config = SparkTests.smallExperiment(root, "run2", "data.partitions=3");
    new TrainingJob(spark, config).run(TrainingJob.prepare(config));

    assertEquals(SparkTests.metricColumns(root.resolve("run1/history.csv")),
        SparkTests.metricColumns(root.resolve("run2/history.csv")));
    ComputationGraph first = ModelSerializer.restoreComputationGraph(
        root.resolve("run1/model.zip").toFile());
    ComputationGraph second = ModelSerializer.restoreComputationGraph(
        root.resolve("run2/model.zip").toFile());
    assertArrayEquals(first.params().toFloatVector(), second.params().toFloatVector());
  }

  @Test
  void runStoppedAfterACheckpointResumesToTheSameResult() throws Exception {
    ExperimentConfig config = SparkTests.smallExperiment(root, "stopped", "checkpoint.every=2");
    TrainingJob stopped = new TrainingJob(spark, config);
    stopped.failAfterRound(3);
    RunDirectory run = TrainingJob.prepare(config);
    assertThrows(IllegalStateException.class, () -> stopped.run(run));
    run.closeHistory();
    assertEquals(4, Files.readAllLines(root.resolve("stopped/history.csv")).size(),
        "rounds 1-3 were recorded before the stop");

    assertThrows(InvalidInputException.class, () -> new TrainingJob(spark, config).resume(
        RunDirectory.resume(root.resolve("stopped"), TaskEvaluation.metricNames(config.tasks()))),
        "a history without the affinity columns the configuration asks for is refused");
    new TrainingJob(spark, config).resume(RunDirectory.resume(root.resolve("stopped"),
        config.historyColumns()));

    assertEquals(SparkTests.metricColumns(root.resolve("run1/history.csv")),
        SparkTests.metricColumns(root.resolve("stopped/history.csv")));
    assertArrayEquals(
        ModelSerializer.restoreComputationGraph(root.resolve("run1/model.zip").toFile())
            .params().toFloatVector(),
        ModelSerializer.restoreComputationGraph(root.resolve("stopped/model.zip").toFile())
            .params().toFloatVector());
    ObjectMapper json = new ObjectMapper();
    assertEquals(json.readTree(root.resolve("run1/summary.json").toFile())
            .get("client_participation"),
        json.readTree(root.resolve("stopped/summary.json").toFile()).get("client_participation"),
        "the resumed run's participation counts the rounds before the stop too");
    assertThrows(InvalidInputException.class, () -> RunDirectory.resume(
        root.resolve("stopped"), List.of()), "a finished run is not resumed");
  }

  @Test
  void dl4jEngineLearnsLikeTheDenseEngine() throws Exception {
    ExperimentConfig config = SparkTests.smallExperiment(root, "dl4j", "local.engine=dl4j");
    new TrainingJob(spark, config).run(TrainingJob.prepare(config));

    ObjectMapper json = new ObjectMapper();
    double dense = json.readTree(root.resolve("run1/summary.json").toFile())
        .at("/metrics/task1.accuracy/final").asDouble();
    double dl4j = json.readTree(root.resolve("dl4j/summary.json").toFile())
        .at("/metrics/task1.accuracy/final").asDouble();
    assertEquals(dense, dl4j, 0.03, "the engines compute the same training");
  }

  @Test
  void anotherSeedGivesAnotherRun() throws Exception {
    ExperimentConfig config = SparkTests.smallExperiment(root, "run3", "seed=7",
        "rounds=2", "data.train=\"" + root.resolve("data7/train") + "\"",
        "data.test=\"" + root.resolve("data7/test") + "\"");
    new TrainingJob(spark, config).run(TrainingJob.prepare(config));

    List<String> seed42 = SparkTests.metricColumns(root.resolve("run1/history.csv"));
    List<String> seed7 = SparkTests.metricColumns(root.resolve("run3/history.csv"));
    assertTrue(!seed42.get(1).equals(seed7.get(1)));
  }
}
