package org.fedmtl.job;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.fedmtl.federation.RoundResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Speed, side by side in one run on the same data and network: this job's rounds broken into
 * local training, aggregation, evaluation and Spark overhead; DL4J Spark's parameter averaging
 * on the same data; the PyTorch reference program when a PyTorch is installed; and both end to
 * end, JVM and Python start included.
 */
@Command(name = "speed", mixinStandardHelpOptions = true,
    description = "Seconds per round, its breakdown, and the same work in DL4J Spark and PyTorch.")
final class SpeedBench implements Callable<Integer> {
  @Option(names = "--skip-end-to-end",
      description = "Leave out the end-to-end runs of submit.sh and the PyTorch program.")
  boolean skipEndToEnd;

  @Option(names = "--dl4j-epochs", defaultValue = "10",
      description = "Epochs of DL4J Spark parameter averaging (default 10).")
  int dl4jEpochs;

  @Parameters(paramLabel = "[CONFIG_FILE] [key=value...]", arity = "0..*")
  List<String> arguments = new ArrayList<>();

  @ParentCommand
  Bench bench;

  @Override
  public Integer call() throws Exception {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path folder = Path.of("runs", "bench-speed-" + stamp);
    ExperimentConfig config = Bench.load(arguments,
        List.of("checkpoint.every=0", "output.dir=" + folder.resolve("job")));

    List<RoundResult> results = new ArrayList<>();
    double dl4jSamplesPerSecond;
    SparkSession spark = Main.startSpark(config, bench.master());
    try {
      TrainingJob job = new TrainingJob(spark, config);
      job.observe(results::add);
      job.run(TrainingJob.prepare(config));
      dl4jSamplesPerSecond = new ParameterAveragingBaseline(spark, config).samplesPerSecond(
          dl4jEpochs);
    } finally {
      spark.stop();
    }

    EndToEnd ours = null;
    EndToEnd pytorch = null;
    if (!skipEndToEnd) {
      ours = endToEnd(List.of(home().resolve("submit.sh").toString(),
          "output.dir=" + folder.resolve("end-to-end")), folder.resolve("end-to-end.log"));
      String python = pythonWithTorch();
      if (python != null) {
        pytorch = endToEnd(List.of(python,
            home().resolve("src/bench/python/fedavg_reference.py").toString(),
            String.valueOf(config.seed())), folder.resolve("pytorch.log"));
      }
    }
    print(config, results, dl4jSamplesPerSecond, ours, pytorch);
    return 0;
  }

  private record EndToEnd(double seconds, double secondsPerRound) {}

  private static void print(ExperimentConfig config, List<RoundResult> results,
      double dl4jSamplesPerSecond, EndToEnd ours, EndToEnd pytorch) {
    List<RoundResult> warm = results.size() > 1 ? results.subList(1, results.size()) : results;
    double rounds = warm.size();
    double seconds = warm.stream().mapToDouble(RoundResult::seconds).sum();
    double training = sum(warm, t -> t.trainingJobSeconds());
    double ideal = sum(warm, t -> t.idealTrainingSeconds());
    double clientSeconds = sum(warm, t -> t.clientSeconds());
    double aggregation = sum(warm, t -> t.aggregationSeconds());
    double evaluation = sum(warm, t -> t.evaluationSeconds());
    double overhead = sum(warm, t -> t.sparkOverheadSeconds());
    long steps = warm.stream().mapToLong(r -> r.timings().steps()).sum();
    long examples = warm.stream().mapToLong(r -> r.timings().examples()).sum();

    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%nSpeed of '%s': %d rounds (the first, warm-up, left "
        + "out of the means), %d processors, Java %s%n%n", config.name(), results.size(),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version")));
    out.append("| measure | value |\n|---|---:|\n");
    row(out, "seconds per round", seconds / rounds, "%.4f");
    row(out, "  local training and evaluation, spread over the cores", ideal / rounds, "%.4f");
    row(out, "  Spark overhead of the round's job", overhead / rounds, "%.4f");
    row(out, "  aggregation on the driver", aggregation / rounds, "%.4f");
    row(out, "  other (sampling, history, log)", (seconds - training - aggregation) / rounds,
        "%.4f");
    row(out, "evaluation task time per evaluated round", evaluation / Math.max(1,
        warm.stream().filter(r -> !r.metrics().isEmpty()).count()), "%.4f");
    row(out, "ms per local optimiser step", 1000 * clientSeconds / Math.max(1, steps), "%.3f");
    row(out, "samples per second (this job, training job wall)", examples / training, "%.0f");
    row(out, "samples per second (DL4J Spark parameter averaging)", dl4jSamplesPerSecond,
        "%.0f");
    row(out, "ratio this job / DL4J Spark", examples / training / dl4jSamplesPerSecond, "%.2f");
    if (ours != null) {
      row(out, "end to end, ./submit.sh, seconds", ours.seconds(), "%.1f");
    }
    if (pytorch != null) {
      row(out, "PyTorch reference, seconds per round", pytorch.secondsPerRound(), "%.4f");
      row(out, "ratio seconds per round, this job / PyTorch",
          seconds / rounds / pytorch.secondsPerRound(), "%.2f");
      row(out, "end to end, PyTorch reference, seconds", pytorch.seconds(), "%.1f");
      row(out, "ratio end to end, this job / PyTorch", ours.seconds() / pytorch.seconds(),
          "%.2f");
    } else if (ours != null) {
      out.append("| PyTorch reference | not run: no python3 with torch "
          + "(apt-get install python3-torch) |\n");
    }
    System.out.println(out);
  }

  private static double sum(List<RoundResult> results,
      java.util.function.ToDoubleFunction<RoundResult.Timings> part) {
    return results.stream().mapToDouble(r -> part.applyAsDouble(r.timings())).sum();
  }

  private static void row(StringBuilder out, String name, double value, String format) {
    out.append("| ").append(name).append(" | ")
        .append(String.format(Locale.ROOT, format, value)).append(" |\n");
  }

  private static EndToEnd endToEnd(List<String> command, Path log)
      throws IOException, InterruptedException {
    Files.createDirectories(log.getParent());
    long start = System.nanoTime();
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IllegalStateException(command.get(0) + " failed; see " + log);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double perRound = Double.NaN;
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (line.startsWith("seconds_per_round ")) {
        perRound = Double.parseDouble(line.substring("seconds_per_round ".length()).trim());
      }
    }
    return new EndToEnd(seconds, perRound);
  }

  /** A python3 that can import torch, or null. */
  private static String pythonWithTorch() {
    for (String python : List.of("/usr/bin/python3", "python3")) {
      try {
        Process process = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0) {
          return python;
        }
      } catch (IOException | InterruptedException e) {
        // try the next one
      }
    }
    return null;
  }

  private static Path home() {
    return Path.of(System.getProperty("fedmtl.home", new File(".").getAbsolutePath()));
  }
}
