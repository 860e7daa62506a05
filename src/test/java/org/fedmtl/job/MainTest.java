package org.fedmtl.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's answers to bad input: one line, exit code 2, nothing damaged. */
class MainTest {
  @TempDir
  Path folder;

  @Test
  void badConfigValueIsOneLineAndExitCodeTwo() {
    Outcome outcome = run("rounds=-3");
    assertEquals(Main.EXIT_INVALID_INPUT, outcome.code());
    assertEquals(1, outcome.stderr().lines().count(), outcome.stderr());
    assertTrue(outcome.stderr().startsWith("error: command line rounds=-3: rounds: must be"),
        outcome.stderr());
  }

  @Test
  void benchOptionsOutOfRangeAreRefusedBeforeSparkStarts() {
    Map<String, List<String>> cases = Map.of(
        "--extra-rounds: must be at least 0, got -5", List.of("speed", "--extra-rounds", "-5"),
        "--repeats: must be at least 0, got -1", List.of("speed", "--repeats", "-1"),
        "--every: must be at least 1, got 0", List.of("memory", "--every", "0"),
        "--rounds: must be at least 3, got 2", List.of("scale", "--rounds", "2"));
    cases.forEach((message, args) -> {
      Outcome outcome = run(Stream.concat(Stream.of("bench"), args.stream())
          .toArray(String[]::new));
      assertEquals(Main.EXIT_INVALID_INPUT, outcome.code(), message);
      assertEquals("error: " + message, outcome.stderr().strip());
    });
  }

  @Test
  void reportDrawsRunFoldersAndRefusesOthers() throws Exception {
    Path run = Files.createDirectories(folder.resolve("run"));
    Files.writeString(run.resolve("history.csv"), "round,clients,train_loss\n1,2,0.5\n");
    Path other = Files.createDirectories(folder.resolve("other"));

    Outcome drawn = run("report", run.toString());
    assertEquals(0, drawn.code(), drawn.stderr());
    assertTrue(Files.readString(run.resolve("report.html")).contains("<img"));

    Path comparison = folder.resolve("comparison.html");
    Path again = Files.createDirectories(folder.resolve("again"));
    Files.copy(run.resolve("history.csv"), again.resolve("history.csv"));
    Outcome compared = run("report", "--compare", comparison.toString(), run.toString(),
        again.toString());
    assertEquals(0, compared.code(), compared.stderr());
    assertEquals(comparison.toString(), compared.stdout().strip());
    assertTrue(Files.readString(comparison).contains("<h1>Comparison of 2 runs</h1>"));

    Outcome missing = run("report");
    assertEquals(Main.EXIT_INVALID_INPUT, missing.code());
    assertEquals("error: Missing required parameter: 'RUN_DIR' (report --help shows the usage)",
        missing.stderr().strip());

    Outcome refused = run("report", run.toString(), other.toString());
    assertEquals(Main.EXIT_INVALID_INPUT, refused.code());
    assertEquals("error: report: " + other + " holds no history.csv; it is not a run folder",
        refused.stderr().strip());
  }

  @Test
  void missingDataTheGeneratorCannotMakeIsNamed() {
    Path run = folder.resolve("run");
    Outcome outcome = run("--master", "local[1]", "data.train=\"" + folder.resolve("tr") + "\"",
        "data.test=\"" + folder.resolve("te") + "\"", "output.dir=\"" + run + "\"",
        "tasks=[{name = churn, type = classification, classes = 2, label = churned}]");

    assertEquals(Main.EXIT_INVALID_INPUT, outcome.code(), outcome.stderr());
    assertTrue(outcome.stderr().contains("error: data.train (" + folder.resolve("tr")
        + ") and data.test (" + folder.resolve("te") + ") do not exist, and data.generator = "
        + "synthetic cannot make them: synthetic data has the label columns [y1, y2], but task "
        + "'churn' reads 'churned'; point data.train and data.test at your data, or set "
        + "data.generator = none"), outcome.stderr());
  }

  @Test
  void aMasterThatIsNotAUrlIsOneLineAndLeavesNoFolder() {
    for (String master : List.of("bogus", "local[ 2]", "local[0]")) {
      Path run = folder.resolve("run");
      Outcome outcome = run("--master", master, "rounds=1", "output.dir=\"" + run + "\"");
      assertEquals(Main.EXIT_INVALID_INPUT, outcome.code(), outcome.stderr());
      assertEquals("error: --master: '" + master + "' is not a Spark master URL; use local, "
          + "local[N], local[*], local-cluster[N,CORES,MEMORY_MB], spark://HOST:PORT, yarn or "
          + "k8s://HOST:PORT", outcome.stderr().strip());
      assertFalse(Files.exists(run), master);
    }
  }

  @Test
  void aRunRecordedBeforeTaskAffinityResumesWithoutIt() throws Exception {
    Path old = Files.createDirectories(folder.resolve("old"));
    Files.writeString(old.resolve("config.conf"), "rounds = 5\n");
    assertEquals(List.of("output.dir=\"" + old + "\"", "analysis.task-affinity-every=0"),
        Main.overrides(old.toFile()));
    Path recent = Files.createDirectories(folder.resolve("recent"));
    Files.writeString(recent.resolve("config.conf"), "analysis { task-affinity-every = 2 }\n");
    assertEquals(List.of("output.dir=\"" + recent + "\""), Main.overrides(recent.toFile()));
  }

  @Test
  void everyCommandTellsItsVersion() {
    for (String[] args : List.of(new String[] {"--version"}, new String[] {"resume", "-V"},
        new String[] {"bench", "speed", "--version"})) {
      Outcome outcome = run(args);
      assertEquals(0, outcome.code());
      assertTrue(outcome.stdout().matches("fedmtl \\S+ \\(Spark 3\\.5\\.\\d+, DL4J \\S+, "
          + "Java 17[^)]*\\)\\s*"), String.join(" ", args) + ": " + outcome.stdout());
    }
  }

  @Test
  void secondArgumentThatIsNotKeyValue() {
    Outcome outcome = run("conf/default.conf", "rounds");
    assertEquals(Main.EXIT_INVALID_INPUT, outcome.code());
    assertTrue(outcome.stderr().contains("argument 'rounds' is not key=value"));
  }

  @Test
  void finishedRunFolderIsRefusedAndLeftAlone() throws Exception {
    Path run = Files.createDirectories(folder.resolve("run"));
    Files.writeString(run.resolve("summary.json"), "{\"done\": true}");
    Files.writeString(run.resolve("history.csv"), "round\n1\n");

    Outcome outcome = run("output.dir=\"" + run + "\"");

    assertEquals(Main.EXIT_INVALID_INPUT, outcome.code());
    assertTrue(outcome.stderr().contains("already holds a finished run"), outcome.stderr());
    assertEquals("{\"done\": true}", Files.readString(run.resolve("summary.json")));
    assertEquals("round\n1\n", Files.readString(run.resolve("history.csv")));
  }

  @Test
  void aStoppedRunAsOutputFolderPointsToResume() throws Exception {
    Path run = Files.createDirectories(folder.resolve("stopped"));
    Files.writeString(run.resolve("config.conf"), "rounds = 5\n");
    Files.writeString(run.resolve("history.csv"), "round\n1\n");

    Outcome outcome = run("output.dir=\"" + run + "\"");

    assertEquals(Main.EXIT_INVALID_INPUT, outcome.code());
    assertTrue(outcome.stderr().contains("is not empty; choose a new or an empty output folder "
        + "(it holds a run that stopped: ./submit.sh resume " + run + " continues it)"),
        outcome.stderr());
  }

  @Test
  void missingDataWithoutGeneratorStopsBeforeTraining() {
    Path run = folder.resolve("run");
    Outcome outcome = run("--master", "local[1]", "data.generator=none",
        "data.train=\"" + folder.resolve("absent") + "\"", "output.dir=\"" + run + "\"");

    assertEquals(Main.EXIT_INVALID_INPUT, outcome.code());
    assertEquals(1, outcome.stderr().lines().filter(l -> l.startsWith("error:")).count());
    assertTrue(outcome.stderr().contains("data.train: " + folder.resolve("absent")
        + " does not exist"), outcome.stderr());
    assertFalse(outcome.stderr().contains("\tat "), "no stack trace");
    assertFalse(Files.exists(run), "a run stopped by bad input leaves no folder");
  }

  @Test
  void unwritableOutputFolder() throws Exception {
    Path file = Files.writeString(folder.resolve("a-file"), "not a folder");
    Outcome outcome = run("output.dir=\"" + file.resolve("run") + "\"");
    assertEquals(Main.EXIT_INVALID_INPUT, outcome.code());
    assertTrue(outcome.stderr().startsWith("error: output.dir: cannot write to "
        + file.resolve("run")), outcome.stderr());
    assertEquals("not a folder", Files.readString(file));
  }

  @Test
  void moreClientsPerRoundThanClients() {
    Outcome outcome = run("--master", "local[1]", "clients-per-round=9",
        "data.synthetic.clients=8", "data.synthetic.test-rows=100",
        "data.train=\"" + folder.resolve("data/train") + "\"",
        "data.test=\"" + folder.resolve("data/test") + "\"",
        "output.dir=\"" + folder.resolve("run") + "\"");
    assertEquals(Main.EXIT_INVALID_INPUT, outcome.code());
    assertTrue(outcome.stderr().contains("error: clients-per-round: 9 is more than the 8 "
        + "clients in data.train"), outcome.stderr());
    assertFalse(Files.exists(folder.resolve("run")));
  }

  @Test
  void helpListsTheUsage() {
    Outcome outcome = run("--help");
    assertEquals(0, outcome.code());
  }

  private record Outcome(int code, String stdout, String stderr) {}

  private static Outcome run(String... args) {
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Outcome(code, out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
    }
  }
}
