package org.fedmtl.job;

import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.fedmtl.InvalidInputException;
import org.fedmtl.report.RunComparison;
import org.fedmtl.report.RunDirectory;
import org.fedmtl.report.RunReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The command line: {@code fedmtl [--master URL] [CONFIG_FILE] [key=value ...]}. Exit code 0
 * when the run finished, 2 for bad input (one line on standard error, no stack trace), 1 for
 * anything else.
 */
@Command(name = "fedmtl", mixinStandardHelpOptions = true, sortOptions = false,
    subcommands = {Main.Resume.class, Main.Report.class, Bench.class},
    description = "Federated multi-task training on Apache Spark.",
    footer = {"", "Keys and their defaults are documented in conf/default.conf."})
public final class Main implements Callable<Integer> {
  static final int EXIT_INVALID_INPUT = 2;
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master (default: spark.master if set, else local[*]).")
  String master;

  @Parameters(paramLabel = "[CONFIG_FILE] [key=value...]", arity = "0..*",
      description = "A HOCON configuration file, then key=value overrides "
          + "(e.g. rounds=5 seed=7 output.dir=runs/r1).")
  List<String> arguments = new ArrayList<>();

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code. */
  public static int run(String... args) {
    CommandLine commandLine = new CommandLine(new Main());
    useVersion(commandLine);
    commandLine.setParameterExceptionHandler((error, arguments) -> {
      System.err.println("error: " + error.getMessage().replace('\n', ' ') + " ("
          + error.getCommandLine().getCommandName() + " --help shows the usage)");
      return EXIT_INVALID_INPUT;
    });
    commandLine.setExecutionExceptionHandler((error, cmd, parsed) -> {
      InvalidInputException invalid = invalidInput(error);
      if (invalid != null) {
        System.err.println("error: " + invalid.getMessage().replace('\n', ' '));
        return EXIT_INVALID_INPUT;
      }
      LOG.error("the job failed", error);
      return 1;
    });
    return commandLine.execute(args);
  }

  @Override
  public Integer call() {
    File configFile = null;
    List<String> overrides = new ArrayList<>(arguments);
    if (!overrides.isEmpty() && !overrides.get(0).contains("=")) {
      configFile = new File(overrides.remove(0));
    }
    for (String override : overrides) {
      if (!override.contains("=")) {
        throw new InvalidInputException("argument '" + override + "' is not key=value; only "
            + "the first argument may be a configuration file");
      }
    }
    ExperimentConfig config = ConfigLoader.load(configFile, overrides);
    checkMaster(master);
    RunDirectory run = TrainingJob.prepare(config);

    SparkSession spark;
    try {
      spark = startSpark(config, master);
    } catch (RuntimeException e) {
      run.discardIfUnused();
      throw e;
    }
    try {
      new TrainingJob(spark, config).run(run);
    } catch (RuntimeException e) {
      run.discardIfUnused();
      throw e;
    } finally {
      spark.stop();
    }
    return 0;
  }

  /** Gives every command's {@code --version} the versions of fedmtl and what it runs on. */
  private static void useVersion(CommandLine command) {
    command.getCommandSpec().versionProvider(() -> {
      Map<String, String> versions = TrainingJob.versions();
      return new String[] {"fedmtl " + versions.get("fedmtl") + " (Spark " + versions.get("spark")
          + ", DL4J " + versions.get("dl4j") + ", Java " + versions.get("java") + ")"};
    });
    command.getSubcommands().values().forEach(Main::useVersion);
  }

  /** {@code fedmtl resume RUN_DIR}: continues a run that stopped, from its newest checkpoint. */
  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "Continue a run that stopped, from the newest good checkpoint in its folder.")
  static final class Resume implements Callable<Integer> {
    @Option(names = "--master", paramLabel = "URL",
        description = "Spark master (default: spark.master if set, else local[*]).")
    String master;

    @Parameters(paramLabel = "RUN_DIR", description = "The run folder of the stopped run.")
    File runFolder;

    @ParentCommand
    Main parent;

    @Override
    public Integer call() {
      File recorded = new File(runFolder, RunDirectory.CONFIG);
      if (!recorded.isFile()) {
        throw new InvalidInputException("resume: " + runFolder + " holds no "
            + RunDirectory.CONFIG + "; it is not a run folder");
      }
      ExperimentConfig config = ConfigLoader.load(recorded, overrides(runFolder));
      RunDirectory run = RunDirectory.resume(runFolder.toPath(), config.historyColumns());
      SparkSession spark = startSpark(config, master != null ? master : parent.master);
      try {
        new TrainingJob(spark, config).resume(run);
      } finally {
        spark.stop();
      }
      return 0;
    }
  }

  /**
   * {@code fedmtl report RUN_DIR...}: draws each run's {@code report.html} from its files; with
   * {@code --compare FILE}, one page comparing the runs instead.
   */
  @Command(name = "report", mixinStandardHelpOptions = true,
      description = {"Draw report.html of run folders again from their history.csv and "
          + "summary.json (also of a run still going or stopped).",
          "With --compare, write one page comparing the runs (variants of an experiment): their "
          + "final and best metrics side by side and a chart per metric with a line per run."})
  static final class Report implements Callable<Integer> {
    @Option(names = "--compare", paramLabel = "FILE",
        description = "Write a comparison of the runs to FILE (e.g. comparison.html).")
    File comparison;

    @Parameters(paramLabel = "RUN_DIR", arity = "1..*", description = "Run folders.")
    List<File> runFolders;

    @Override
    public Integer call() {
      if (comparison != null) {
        System.out.println(RunComparison.compare(runFolders.stream().map(File::toPath).toList(),
            comparison.toPath()));
        return 0;
      }
      for (File folder : runFolders) {
        System.out.println(RunReport.write(folder.toPath()));
      }
      return 0;
    }
  }

  /** Spark's master URLs: local modes, a standalone cluster, YARN, Kubernetes, Mesos. */
  private static final Pattern MASTER = Pattern.compile("local(\\[([1-9]\\d*|\\*)(,\\d+)?])?"
      + "|local-cluster\\[[1-9]\\d*,[1-9]\\d*,[1-9]\\d*]|spark://\\S+|yarn|k8s://\\S+"
      + "|mesos://\\S+");

  /** Refuses a {@code --master} (null: none given) that is not a Spark master URL. */
  static void checkMaster(String master) {
    if (master != null && !MASTER.matcher(master).matches()) {
      throw new InvalidInputException("--master: '" + master + "' is not a Spark master URL; "
          + "use local, local[N], local[*], local-cluster[N,CORES,MEMORY_MB], "
          + "spark://HOST:PORT, yarn or k8s://HOST:PORT");
    }
  }

  /**
   * What a resumed run adds to its recorded configuration: its folder, and for a run recorded
   * before runs measured task affinity, no affinity (its history has no columns for it).
   */
  static List<String> overrides(File runFolder) {
    List<String> overrides = new ArrayList<>(List.of(
        "output.dir=\"" + runFolder.getPath().replace("\"", "\\\"") + "\""));
    if (!ConfigFactory.parseFile(new File(runFolder, RunDirectory.CONFIG))
        .hasPath("analysis.task-affinity-every")) {
      overrides.add("analysis.task-affinity-every=0");
    }
    return overrides;
  }

  static SparkSession startSpark(ExperimentConfig config, String master) {
    SparkConf conf = new SparkConf().setAppName("fedmtl " + config.name());
    if (master != null) {
      checkMaster(master);
      conf.setMaster(master);
    } else if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.setIfMissing("spark.ui.showConsoleProgress", "false");
    conf.setIfMissing("spark.sql.shuffle.partitions", "16");
    conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", "1");
    // Two or three Spark jobs a round: the UI keeps the recent ones, not a thousand of each,
    // so the driver's heap stays flat over thousands of rounds.
    conf.setIfMissing("spark.ui.retainedJobs", "100");
    conf.setIfMissing("spark.ui.retainedStages", "200");
    conf.setIfMissing("spark.ui.retainedTasks", "10000");
    conf.setIfMissing("spark.sql.ui.retainedExecutions", "50");
    try {
      return SparkSession.builder().config(conf).getOrCreate();
    } catch (Exception e) {
      // Spark throws its checked SparkException undeclared.
      if (String.valueOf(e.getMessage()).contains("Master URL")) {
        throw new InvalidInputException("--master: " + e.getMessage(), e);
      }
      throw e;
    }
  }

  /** The user-input error behind {@code error}, also when Spark wrapped it, or null. */
  static InvalidInputException invalidInput(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof InvalidInputException invalid) {
        return invalid;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return null;
  }
}
