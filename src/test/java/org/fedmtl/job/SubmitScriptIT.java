package org.fedmtl.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.util.ModelSerializer;
import org.fedmtl.SparkTests;
import org.fedmtl.job.ProcessRunner.Result;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** submit.sh as a user runs it, on the packaged jar (runs in the verify phase). */
class SubmitScriptIT {
  private static final Path CLASS_DATA_ARCHIVE = Path.of("target/fedmtl.jsa");

  @TempDir
  Path folder;

  /** The first run of a build records the class-data archive that later runs start from. */
  @BeforeAll
  static void firstRunRecordsTheClassDataArchive(@TempDir Path scratch) throws Exception {
    Result first = ProcessRunner.submit(scratch, "rounds=1", "data.synthetic.test-rows=500",
        "data.train=" + scratch.resolve("data/train"), "data.test=" + scratch.resolve("data/test"),
        "output.dir=" + scratch.resolve("run"));
    assertEquals(0, first.code(), first.output());
    assertTrue(Files.size(CLASS_DATA_ARCHIVE) > 10_000_000, first.output());
  }

  @Test
  void runsTheDefaultExperimentEndToEnd() throws Exception {
    Path run = folder.resolve("run");
    // -Xshare:on makes the JVM refuse to start unless it maps the class-data archive.
    Result result = ProcessRunner.submit(folder, Map.of("JAVA_TOOL_OPTIONS", "-Xshare:on"),
        "rounds=2", "data.synthetic.test-rows=1000", "data.train=" + folder.resolve("data/train"),
        "data.test=" + folder.resolve("data/test"), "output.dir=" + run);

    assertEquals(0, result.code(), result.output());
    assertTrue(!result.output().contains("class-data archive"), result.output());
    for (String file : List.of("history.csv", "summary.json", "config.conf", "model.zip",
        "report.html")) {
      assertTrue(Files.isRegularFile(run.resolve(file)), file + "\n" + result.output());
    }
    assertEquals(3, Files.readAllLines(run.resolve("history.csv")).size());
    assertTrue(result.output().contains("round 2/2  clients 5  train_loss"), result.output());
  }

  @Test
  void badValueGivesOneLineAndExitCodeTwo() throws Exception {
    Result result = submit("clients-per-round=-1");
    assertEquals(2, result.code(), result.output());
    assertEquals(List.of("error: command line clients-per-round=-1: clients-per-round: must be"
        + " an integer in 1..100000000, got -1"), result.output().lines().toList());
  }

  @Test
  void benchesPrintTheirTables() throws Exception {
    List<String> data = List.of("data.synthetic.test-rows=500",
        "data.train=" + folder.resolve("data/train"), "data.test=" + folder.resolve("data/test"));
    Result memory = submit(with(List.of("bench", "memory", "--rounds", "4", "--every", "2"),
        data));
    assertEquals(0, memory.code(), memory.output());
    assertTrue(memory.output().contains("| round | heap after GC (MiB) | broadcast blocks |"),
        memory.output());
    assertTrue(memory.output().contains("peak heap after GC: rounds 1-2"), memory.output());

    Result speed = submit(with(List.of("bench", "speed", "--skip-end-to-end", "--dl4j-epochs",
        "1", "--extra-rounds", "2", "rounds=3"), data));
    assertEquals(0, speed.code(), speed.output());
    assertTrue(speed.output().contains("| samples per second (DL4J Spark parameter averaging) |"),
        speed.output());
    assertTrue(speed.output().lines().anyMatch(line -> line.matches(
        "\\| ms per local optimiser step \\| [0-9.]+ \\| [0-9.]+ \\|")), speed.output());

    Result scale = submit("bench", "scale", "--clients", "20,40", "--rounds", "4",
        "--clients-per-round", "5");
    assertEquals(0, scale.code(), scale.output());
    String row = scale.output().lines().filter(line -> line.startsWith("| 40 | ")).findFirst()
        .orElseThrow(() -> new AssertionError(scale.output()));
    String[] cells = row.split("\\|");
    assertEquals(9, cells.length, row);
    assertTrue(Double.parseDouble(cells[6].trim()) > 0, "cached client data counted: " + row);
  }

  @Test
  void helpOfTheScriptAndOfASubcommand() throws Exception {
    Result script = submit("--help");
    assertEquals(0, script.code(), script.output());
    assertTrue(script.output().contains("resume RUN_DIR"), script.output());
    Result bench = submit("bench", "memory", "--help");
    assertEquals(0, bench.code(), bench.output());
    assertTrue(bench.output().contains("--rounds"), bench.output());
  }

  @Test
  void missingConfigurationFile() throws Exception {
    Result result = submit("conf/nothing.conf");
    assertEquals(2, result.code(), result.output());
    assertEquals(List.of("error: configuration file conf/nothing.conf does not exist"),
        result.output().lines().toList());
  }

  @Test
  void runKilledWithSigkillResumesToTheSameResult() throws Exception {
    List<String> experiment = List.of("rounds=24", "checkpoint.every=3",
        "data.synthetic.test-rows=1000", "data.train=" + folder.resolve("data/train"),
        "data.test=" + folder.resolve("data/test"));
    Path whole = folder.resolve("whole");
    Result uninterrupted = submit(with(experiment, "output.dir=" + whole));
    assertEquals(0, uninterrupted.code(), uninterrupted.output());

    Path killed = folder.resolve("killed");
    Process process = ProcessRunner.start(folder.resolve("killed.log"), Map.of(),
        with(List.of("./submit.sh"), with(experiment, "output.dir=" + killed)));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (historyRows(killed) < 11 && process.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(process.isAlive(), "the run ended before it could be killed");
    process.destroyForcibly().waitFor();
    assertTrue(Files.notExists(killed.resolve("summary.json")));

    Result resumed = submit("resume", killed.toString());

    assertEquals(0, resumed.code(), resumed.output());
    assertTrue(resumed.output().contains("resuming " + killed + " after round "),
        resumed.output());
    assertEquals(SparkTests.metricColumns(whole.resolve("history.csv")),
        SparkTests.metricColumns(killed.resolve("history.csv")));
    assertArrayEquals(parameters(whole.resolve("model.zip")),
        parameters(killed.resolve("model.zip")));
  }

  @Test
  void resumingSomethingThatIsNotAStoppedRun() throws Exception {
    Result result = submit("resume", folder.toString());
    assertEquals(2, result.code(), result.output());
    assertEquals(List.of("error: resume: " + folder + " holds no config.conf; it is not a run "
        + "folder"), result.output().lines().toList());
  }

  private static float[] parameters(Path model) throws IOException {
    return ModelSerializer.restoreComputationGraph(model.toFile()).params().toFloatVector();
  }

  private static long historyRows(Path run) throws IOException {
    Path history = run.resolve("history.csv");
    if (!Files.exists(history)) {
      return 0;
    }
    try (var lines = Files.lines(history)) {
      return lines.count() - 1;
    }
  }

  private static List<String> with(List<String> list, String... more) {
    List<String> joined = new ArrayList<>(list);
    joined.addAll(List.of(more));
    return joined;
  }

  private static List<String> with(List<String> list, List<String> more) {
    List<String> joined = new ArrayList<>(list);
    joined.addAll(more);
    return joined;
  }

  private Result submit(List<String> args) throws IOException, InterruptedException {
    return submit(args.toArray(String[]::new));
  }

  private Result submit(String... args) throws IOException, InterruptedException {
    return ProcessRunner.submit(folder, args);
  }
}
