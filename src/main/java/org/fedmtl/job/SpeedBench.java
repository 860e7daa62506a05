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
import java.util.function.ToDoubleFunction;
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

  @Option(names = "--extra-rounds", defaultValue = "100",
      description = "Rounds run after the experiment's own, reported apart as warmed-up rounds "
          + "(default 100).")
  int extraRounds;

  @Option(names = "--repeats", defaultValue = "3",
      description = "End-to-end runs of each program, alternating; medians are reported "
          + "(default 3).")
  int repeats;

  @Parameters(paramLabel = "[CONFIG_FILE] [key=value...]", arity = "0..*")
  List<String> arguments = new ArrayList<>();

  @ParentCommand
  Bench bench;

  @Override
  public Integer call() throws Exception {
    Bench.requireAtLeast("--dl4j-epochs", dl4jEpochs, 1);
    Bench.requireAtLeast("--extra-rounds", extraRounds, 0);
    Bench.requireAtLeast("--repeats", repeats, 0);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path folder = Path.of("runs", "bench-speed-" + stamp);
    ExperimentConfig experiment = Bench.load(arguments, List.of());
    int rounds = experiment.federation().rounds();
    // The extra rounds extend the experiment's own, so they override the user's rounds.
    List<String> extended = new ArrayList<>(arguments);
    extended.add("rounds=" + (rounds + extraRounds));
    ExperimentConfig config = Bench.load(extended, List.of("checkpoint.every=0",
        "output.dir=" + folder.resolve("job")));

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

    List<EndToEnd> ours = new ArrayList<>();
    List<EndToEnd> pytorch = new ArrayList<>();
    if (!skipEndToEnd) {
      String python = pythonWithTorch();
      for (int run = 1; run <= repeats; run++) {
        ours.add(endToEnd(List.of(home().resolve("submit.sh").toString(),
            "output.dir=" + folder.resolve("end-to-end-" + run)),
            folder.resolve("end-to-end-" + run + ".log")));
        if (python != null) {
          pytorch.add(endToEnd(List.of(python,
              home().resolve("src/bench/python/fedavg_reference.py").toString(),
              String.valueOf(config.seed())), folder.resolve("pytorch-" + run + ".log")));
        }
      }
    }
    print(experiment, results, dl4jSamplesPerSecond, ours, pytorch, skipEndToEnd);
    return 0;
  }

  private record EndToEnd(double seconds, double secondsPerRound) {}

  /** Means over some rounds of where their time went. */
  private record Rounds(int count, double seconds, double ideal, double overhead,
      double aggregation, double other, double evaluation, double stepMillis,
      double samplesPerSecond) {

    static Rounds of(List<RoundResult> results) {
      double n = results.size();
      double seconds = results.stream().mapToDouble(RoundResult::seconds).sum();
      double training = sum(results, t -> t.trainingJobSeconds());
      double aggregation = sum(results, t -> t.aggregationSeconds());
      long steps = results.stream().mapToLong(r -> r.timings().steps()).sum();
      long examples = results.stream().mapToLong(r -> r.timings().examples()).sum();
      long evaluated = results.stream().filter(r -> !r.metrics().isEmpty()).count();
      return new Rounds(results.size(), seconds / n, sum(results, t -> t.idealTrainingSeconds())
          / n, sum(results, t -> t.sparkOverheadSeconds()) / n, aggregation / n,
          (seconds - training - aggregation) / n,
          sum(results, t -> t.evaluationSeconds()) / Math.max(1, evaluated),
          1000 * sum(results, t -> t.clientSeconds()) / Math.max(1, steps),
          examples / training);
    }
  }

  private static void print(ExperimentConfig experiment, List<RoundResult> results,
      double dl4jSamplesPerSecond, List<EndToEnd> ours, List<EndToEnd> pytorch,
      boolean skipEndToEnd) {
    int rounds = experiment.federation().rounds();
    Rounds run = Rounds.of(results.subList(1, Math.min(rounds, results.size())));
    Rounds warm = results.size() > rounds
        ? Rounds.of(results.subList(rounds, results.size())) : null;

    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%nSpeed of '%s' (%d rounds), %d processors, Java %s."
        + "%nColumn 'run': its rounds 2 to %d. Column 'warmed up': %s.%n%n", experiment.name(),
        rounds, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        rounds, warm == null ? "not run (--extra-rounds 0)"
            : (warm.count() + " more rounds of the same run, after the JIT compiler has "
                + "compiled the hot code")));
    out.append("| measure | run | warmed up |\n|---|---:|---:|\n");
    row(out, "seconds per round", run, warm, Rounds::seconds, "%.4f");
    row(out, "  local training and evaluation, spread over the cores", run, warm,
        Rounds::ideal, "%.4f");
    row(out, "  Spark overhead of the round's job", run, warm, Rounds::overhead, "%.4f");
    row(out, "  aggregation on the driver", run, warm, Rounds::aggregation, "%.4f");
    row(out, "  other (sampling, history, log)", run, warm, Rounds::other, "%.4f");
    row(out, "evaluation task time per evaluated round", run, warm, Rounds::evaluation, "%.4f");
    row(out, "ms per local optimiser step", run, warm, Rounds::stepMillis, "%.3f");
    row(out, "samples per second (this job, training job wall)", run, warm,
        Rounds::samplesPerSecond, "%.0f");
    row(out, "samples per second (DL4J Spark parameter averaging)", dl4jSamplesPerSecond);
    row(out, "ratio this job / DL4J Spark", run, warm,
        r -> r.samplesPerSecond() / dl4jSamplesPerSecond, "%.2f");
    if (!ours.isEmpty()) {
      double oursSeconds = median(ours, EndToEnd::seconds);
      out.append(String.format(Locale.ROOT, "| end to end, ./submit.sh, seconds (median of %d) "
          + "| %.1f | |%n", ours.size(), oursSeconds));
      if (!pytorch.isEmpty()) {
        double perRound = median(pytorch, EndToEnd::secondsPerRound);
        double pytorchSeconds = median(pytorch, EndToEnd::seconds);
        row(out, "PyTorch reference, seconds per round", perRound);
        row(out, "ratio seconds per round, this job / PyTorch", run, warm,
            r -> r.seconds() / perRound, "%.2f");
        out.append(String.format(Locale.ROOT, "| end to end, PyTorch reference, seconds "
            + "(median of %d, alternating with ours) | %.1f | |%n", pytorch.size(),
            pytorchSeconds));
        out.append(String.format(Locale.ROOT, "| ratio end to end, this job / PyTorch | %.2f "
            + "| |%n", oursSeconds / pytorchSeconds));
      } else {
        out.append("| PyTorch reference | not run: no python3 with torch "
            + "(apt-get install python3-torch) | |\n");
      }
    } else if (!skipEndToEnd) {
      out.append("| end to end | not run (--repeats 0) | |\n");
    }
    System.out.println(out);
  }

  private static double median(List<EndToEnd> runs, ToDoubleFunction<EndToEnd> value) {
    double[] values = runs.stream().mapToDouble(value).sorted().toArray();
    int middle = values.length / 2;
    return values.length % 2 == 1 ? values[middle]
        : (values[middle - 1] + values[middle]) / 2;
  }

  private static double sum(List<RoundResult> results,
      ToDoubleFunction<RoundResult.Timings> part) {
    return results.stream().mapToDouble(r -> part.applyAsDouble(r.timings())).sum();
  }

  private static void row(StringBuilder out, String name, Rounds run, Rounds warm,
      ToDoubleFunction<Rounds> value, String format) {
    out.append("| ").append(name).append(" | ")
        .append(String.format(Locale.ROOT, format, value.applyAsDouble(run))).append(" | ")
        .append(warm == null ? "" : String.format(Locale.ROOT, format, value.applyAsDouble(warm)))
        .append(" |\n");
  }

  private static void row(StringBuilder out, String name, double value) {
    out.append("| ").append(name).append(" | ")
        .append(String.format(Locale.ROOT, value < 10 ? "%.4f" : "%.0f", value))
        .append(" | |\n");
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
