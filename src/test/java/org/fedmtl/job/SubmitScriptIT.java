package org.fedmtl.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** submit.sh as a user runs it, on the packaged jar (runs in the verify phase). */
class SubmitScriptIT {
  @TempDir
  Path folder;

  @Test
  void runsTheDefaultExperimentEndToEnd() throws Exception {
    Path run = folder.resolve("run");
    Result result = submit("rounds=2", "data.synthetic.test-rows=1000",
        "data.train=" + folder.resolve("data/train"), "data.test=" + folder.resolve("data/test"),
        "output.dir=" + run);

    assertEquals(0, result.code(), result.output());
    for (String file : List.of("history.csv", "summary.json", "config.conf", "model.zip")) {
      assertTrue(Files.isRegularFile(run.resolve(file)), file + "\n" + result.output());
    }
    assertEquals(3, Files.readAllLines(run.resolve("history.csv")).size());
    assertTrue(result.output().contains("round 2/2  clients 5  train_loss"), result.output());
  }

  @Test
  void badValueGivesOneLineAndExitCodeTwo() throws Exception {
    Result result = submit("clients-per-round=-1");
    assertEquals(2, result.code(), result.output());
    assertEquals(List.of("error: command line clients-per-round=-1: 1: clients-per-round: must be"
        + " an integer in 1..100000000, got -1"), result.output().lines().toList());
  }

  @Test
  void missingConfigurationFile() throws Exception {
    Result result = submit("conf/nothing.conf");
    assertEquals(2, result.code(), result.output());
    assertEquals(List.of("error: configuration file conf/nothing.conf does not exist"),
        result.output().lines().toList());
  }

  private record Result(int code, String output) {}

  private Result submit(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("./submit.sh"));
    command.addAll(List.of(args));
    Path log = folder.resolve("submit-" + System.nanoTime() + ".log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("submit.sh did not finish in 5 minutes");
    }
    return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }
}
