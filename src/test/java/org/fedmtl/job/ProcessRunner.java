package org.fedmtl.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs submit.sh and other commands as a user would, output to a log file. */
final class ProcessRunner {
  record Result(int code, String output) {}

  private ProcessRunner() {}

  static Process start(Path log, Map<String, String> environment, List<String> command)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().putAll(environment);
    return builder.start();
  }

  static Result submit(Path folder, String... args) throws IOException, InterruptedException {
    return submit(folder, Map.of(), args);
  }

  static Result submit(Path folder, Map<String, String> environment, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("./submit.sh"));
    command.addAll(List.of(args));
    Path log = folder.resolve("submit-" + System.nanoTime() + ".log");
    Process process = start(log, environment, command);
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("submit.sh did not finish in 5 minutes");
    }
    return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }
}
