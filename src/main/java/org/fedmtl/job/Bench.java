package org.fedmtl.job;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.fedmtl.InvalidInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code fedmtl bench ...}: measurements anyone can rerun, printed as tables. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    subcommands = {MemoryBench.class, SpeedBench.class, ScaleBench.class},
    description = "Benchmarks, printed as tables.")
final class Bench {
  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master (default: spark.master if set, else local[*]).")
  String master;

  @ParentCommand
  Main main;

  String master() {
    return master != null ? master : main.master;
  }

  /**
   * The experiment a benchmark runs: an optional configuration file and key=value arguments,
   * then the benchmark's own settings.
   */
  static ExperimentConfig load(List<String> arguments, List<String> benchSettings) {
    List<String> overrides = new ArrayList<>(arguments);
    File file = null;
    if (!overrides.isEmpty() && !overrides.get(0).contains("=")) {
      file = new File(overrides.remove(0));
    }
    for (String override : overrides) {
      if (!override.contains("=")) {
        throw new InvalidInputException("argument '" + override + "' is not key=value");
      }
    }
    List<String> all = new ArrayList<>(benchSettings);
    all.addAll(overrides);
    return ConfigLoader.load(file, all);
  }

  /** Refuses an option value below {@code minimum}, naming the option. */
  static void requireAtLeast(String option, int value, int minimum) {
    if (value < minimum) {
      throw new InvalidInputException(option + ": must be at least " + minimum + ", got " + value);
    }
  }
}
