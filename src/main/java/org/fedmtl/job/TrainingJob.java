package org.fedmtl.job;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.fedmtl.InvalidInputException;
import org.fedmtl.Seeds;
import org.fedmtl.aggregation.Aggregator;
import org.fedmtl.aggregation.FedAvg;
import org.fedmtl.aggregation.ParameterLayout;
import org.fedmtl.aggregation.ServerOptimizer;
import org.fedmtl.data.ClientData;
import org.fedmtl.data.ClientDataLoader;
import org.fedmtl.data.MultiMnist;
import org.fedmtl.data.SyntheticData;
import org.fedmtl.federation.Checkpoint;
import org.fedmtl.federation.CheckpointStore;
import org.fedmtl.federation.ClientSampler;
import org.fedmtl.federation.FederatedRounds;
import org.fedmtl.federation.RoundResult;
import org.fedmtl.model.MultiTaskNetwork;
import org.fedmtl.report.RunDirectory;
import org.fedmtl.report.RunReport;
import org.fedmtl.tasks.TaskEvaluation;
import org.fedmtl.tasks.TaskSpec;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One federated multi-task training run: prepare the run folder, make the data if the
 * configuration says how and it is missing, load and validate it, run the rounds, and leave
 * history.csv, summary.json, config.conf and model.zip behind.
 */
public final class TrainingJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingJob.class);

  private final SparkSession spark;
  private final ExperimentConfig config;
  private int failAfterRound = -1;
  private java.util.function.Consumer<RoundResult> observer = result -> { };

  public TrainingJob(SparkSession spark, ExperimentConfig config) {
    this.spark = spark;
    this.config = config;
  }

  /** The run folder the configuration asks for, or a new one under runs/. */
  public static Path runFolder(ExperimentConfig config) {
    if (!config.outputDir().isBlank()) {
      return Path.of(config.outputDir());
    }
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path folder = Path.of("runs", config.name() + "-" + stamp);
    for (int n = 2; folder.toFile().exists(); n++) {
      folder = Path.of("runs", config.name() + "-" + stamp + "-" + n);
    }
    return folder;
  }

  /** Creates the run folder; call before starting Spark so a bad folder fails fast. */
  public static RunDirectory prepare(ExperimentConfig config) {
    return RunDirectory.create(runFolder(config), "output.dir", config.historyColumns());
  }

  /** Runs the experiment into {@code run} from its first round. */
  public Map<String, Object> run(RunDirectory run) {
    return execute(run, Optional.empty());
  }

  /**
   * Continues the run in {@code run} from its newest good checkpoint, or from the start when it
   * has none; the rounds after the checkpoint are run again and give what they gave before.
   */
  public Map<String, Object> resume(RunDirectory run) {
    Optional<Checkpoint> checkpoint = checkpoints(run).latest();
    if (checkpoint.isPresent()) {
      LOG.info("resuming {} after round {}", run.folder(), checkpoint.get().round());
      run.restoreHistory(checkpoint.get().attachments().getOrDefault(RunDirectory.HISTORY,
          new byte[0]));
    } else {
      LOG.warn("no usable checkpoint in {}; starting again from round 1", run.folder());
      run.restoreHistory(new byte[0]);
    }
    return execute(run, checkpoint);
  }

  /** Calls {@code observer} on the driver after each round is recorded (benchmarks). */
  public void observe(java.util.function.Consumer<RoundResult> observer) {
    this.observer = observer;
  }

  /** Test hook: stop the run with an error right after round {@code round} is recorded. */
  void failAfterRound(int round) {
    this.failAfterRound = round;
  }

  private Map<String, Object> execute(RunDirectory run, Optional<Checkpoint> resumeFrom) {
    long start = System.nanoTime();
    List<TaskSpec> tasks = config.tasks();
    // The network (and with it ND4J's native back end) is built while Spark reads the data.
    long initSeed = Seeds.derive(config.seed(), "initial-model");
    CompletableFuture<ComputationGraph> initialNetwork = inBackground("fedmtl-model",
        () -> MultiTaskNetwork.create(config.model(), tasks, initSeed));
    inBackground("fedmtl-report-warm-up", () -> {
      RunReport.warmUp();
      return null;
    });
    generateMissingData();
    ClientDataLoader loader = new ClientDataLoader(spark, config.data(), tasks);
    // The test data loads beside the training data: much of a first Spark SQL query's time is
    // planning and code generation on one driver thread. Problems in the training data are
    // still reported first.
    CompletableFuture<ClientData> testData = inBackground("fedmtl-test-data", loader::loadTest);
    ClientData clients = null;
    ClientData test = null;
    try {
      clients = loader.loadTraining();
      test = join(testData);
      return train(run, resumeFrom, clients, test, initialNetwork, start);
    } finally {
      // Also when the run stops early: a session that goes on (benchmarks, tests) keeps nothing.
      if (clients != null) {
        clients.shards().unpersist(false);
      }
      if (test == null) {
        test = testData.exceptionally(error -> null).join();
      }
      if (test != null) {
        test.shards().unpersist(false);
      }
    }
  }

  /** The result of {@code work}, its exception thrown as it was thrown in the background. */
  private static <T> T join(CompletableFuture<T> work) {
    try {
      return work.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      if (e.getCause() instanceof Error cause) {
        throw cause;
      }
      throw e;
    }
  }

  private Map<String, Object> train(RunDirectory run, Optional<Checkpoint> resumeFrom,
      ClientData clients, ClientData test, CompletableFuture<ComputationGraph> initialNetwork,
      long start) {
    List<TaskSpec> tasks = config.tasks();
    if (config.federation().clientsPerRound() > clients.clientCount()) {
      throw new InvalidInputException("clients-per-round: " + config.federation()
          .clientsPerRound() + " is more than the " + clients.clientCount()
          + " clients in data.train (" + config.data().train() + ")");
    }
    LOG.info("{} clients ({} examples) in {} partitions; {} test examples",
        clients.clientCount(), clients.rows(), clients.partitions(), test.rows());
    LOG.info("run folder {}", run.folder().toAbsolutePath());
    if (resumeFrom.isEmpty() && !Files.exists(run.resolve(RunDirectory.CONFIG))) {
      Config recorded = config.resolved().withValue("output.dir",
          ConfigValueFactory.fromAnyRef(run.folder().toString()));
      run.writeText(RunDirectory.CONFIG, recorded.root().render(
          ConfigRenderOptions.defaults().setOriginComments(false).setComments(false)
              .setJson(false)));
    }

    ComputationGraph network = initialNetwork.join();
    ParameterLayout layout = MultiTaskNetwork.layout(network, tasks);
    float[] initial = network.params().toFloatVector();
    LOG.info("model: {} backbone, {} parameters in groups {}", config.model().backbone(),
        layout.size(), layout.groupNames());
    if (resumeFrom.isPresent()) {
      initial = resumeFrom.get().globalParameters();
      if (initial.length != layout.size()) {
        throw new InvalidInputException("resume: the checkpoint holds " + initial.length
            + " parameters but the configured model has " + layout.size());
      }
    }

    Aggregator aggregator = config.serverOptimizer() == null ? new FedAvg()
        : new ServerOptimizer(config.serverOptimizer());
    resumeFrom.ifPresent(checkpoint -> aggregator.restore(checkpoint.state()));
    FederatedRounds<TaskEvaluation> rounds = new FederatedRounds<>(
        JavaSparkContext.fromSparkContext(spark.sparkContext()), clients, test, layout,
        aggregator, new MultiTaskClientUpdate(config.model(), tasks, config.local(), layout,
            config.seed(), config.taskAffinityEvery()),
        new MultiTaskEvaluation(config.model(), tasks, config.local()), config.federation());
    RunTotals totals = RunTotals.of(run.readHistory(), TaskEvaluation.metricNames(tasks),
        this::higherIsBetter);
    CheckpointStore checkpoints = checkpoints(run);
    int firstRound = resumeFrom.map(c -> c.round() + 1).orElse(1);
    float[] finalParameters = rounds.run(initial, firstRound, (result, global) -> {
      run.appendHistory(result.round(), result.trainedClients(), result.seconds(),
          result.trainLoss(), historyValues(result), result.bytesMoved());
      totals.add(result);
      logRound(result, totals.roundSeconds() / totals.rounds());
      int every = config.checkpointEvery();
      if (every > 0 && result.round() % every == 0 && result.round() < config.federation()
          .rounds()) {
        // The aggregator's state is that after this round: the listener is called before the
        // next round is aggregated.
        checkpoints.write(new Checkpoint(result.round(), global, aggregator.state(),
            Map.of(RunDirectory.HISTORY, run.historyBytes())));
      }
      observer.accept(result);
      if (result.round() == failAfterRound) {
        throw new IllegalStateException("stopped after round " + result.round() + " (test)");
      }
    });
    run.closeHistory();

    network.params().assign(Nd4j.createFromArray(finalParameters));
    writeModel(run, network);
    double wallSeconds = (System.nanoTime() - start) / 1e9;
    Map<String, Object> summary = summary(totals, wallSeconds, clients, layout);
    if (config.taskAffinityEvery() > 0) {
      summary.put("task_affinity", meanAffinity(run.readHistory()));
    }
    run.writeSummary(summary);
    writeReport(run);
    int lastRound = config.federation().rounds();
    LOG.info("finished {} rounds{} in {} s; results in {}", lastRound,
        firstRound > 1 ? " (rounds " + firstRound + "-" + lastRound + " in this run)" : "",
        String.format("%.1f", wallSeconds), run.folder());
    return summary;
  }

  /**
   * Per source task, per target task: the mean over the measured rounds of the round's task
   * affinity; null for a pair never measured.
   */
  private Map<String, Map<String, Double>> meanAffinity(List<Map<String, String>> history) {
    Map<String, Map<String, Double>> affinity = new LinkedHashMap<>();
    List<String> columns = config.affinityColumns();
    int tasks = config.tasks().size();
    for (int c = 0; c < columns.size(); c++) {
      double sum = 0;
      int rounds = 0;
      for (Map<String, String> row : history) {
        String cell = row.getOrDefault(columns.get(c), "");
        if (!cell.isEmpty()) {
          sum += Double.parseDouble(cell);
          rounds++;
        }
      }
      affinity.computeIfAbsent(config.tasks().get(c / tasks).name(), t -> new LinkedHashMap<>())
          .put(config.tasks().get(c % tasks).name(), rounds == 0 ? null : sum / rounds);
    }
    return affinity;
  }

  /** A round's test metrics and, when measured, its task affinity, by history column. */
  private Map<String, Double> historyValues(RoundResult result) {
    double[] affinity = result.clientMeasurements();
    if (affinity == null) {
      return result.metrics();
    }
    Map<String, Double> values = new LinkedHashMap<>(result.metrics());
    List<String> columns = config.affinityColumns();
    for (int c = 0; c < columns.size(); c++) {
      if (!Double.isNaN(affinity[c])) {
        values.put(columns.get(c), affinity[c]);
      }
    }
    return values;
  }

  /** Runs {@code work} on a daemon thread of its own. */
  private static <T> CompletableFuture<T> inBackground(String name, Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, task -> {
      Thread thread = new Thread(task, name);
      thread.setDaemon(true);
      thread.start();
    });
  }

  private static CheckpointStore checkpoints(RunDirectory run) {
    return new CheckpointStore(run.resolve("checkpoint"));
  }

  /**
   * Generates the configured data where {@code data.train} and {@code data.test} are both
   * missing ({@link #run} does this itself).
   *
   * @return seconds spent generating, 0 when the data was there
   */
  double generateMissingData() {
    String train = config.data().train();
    String test = config.data().test();
    boolean trainExists = exists(train);
    boolean testExists = exists(test);
    if (trainExists && testExists || config.generator().equals("none")) {
      return 0;
    }
    if (trainExists != testExists) {
      throw new InvalidInputException((trainExists ? "data.test: " + test
          : "data.train: " + train) + " does not exist (data.generator = "
          + config.generator() + " makes data only where data.train and data.test are both "
          + "missing)");
    }
    String problem = ConfigLoader.generatorProblem(config);
    if (problem != null) {
      throw new InvalidInputException("data.train (" + train + ") and data.test (" + test
          + ") do not exist, and data.generator = " + config.generator() + " cannot make them: "
          + problem + "; point data.train and data.test at your data, or set "
          + "data.generator = none");
    }
    long start = System.nanoTime();
    spark.sparkContext().setJobDescription("generating " + config.generator() + " data");
    if (config.generator().equals("synthetic")) {
      SyntheticData.Spec spec = config.synthetic();
      String rows = spec.maxRowsPerClient() > spec.rowsPerClient()
          ? spec.rowsPerClient() + " to " + spec.maxRowsPerClient() + " rows (power law)"
          : spec.rowsPerClient() + " rows";
      LOG.info("generating synthetic data: {} clients x {}, {} test rows (seed {})",
          spec.clients(), rows, spec.testRows(), spec.seed());
      SyntheticData.generate(spark, config.synthetic(), train, test);
    } else {
      MultiMnist.Spec spec = config.multiMnist();
      LOG.info("generating MultiMNIST from {}: {} clients, {} split (seed {})", spec.mnistDir(),
          spec.clients(), spec.split(), spec.seed());
      MultiMnist.generate(spark, spec, train, test);
    }
    spark.sparkContext().setJobDescription(null);
    double seconds = (System.nanoTime() - start) / 1e9;
    LOG.info("data written to {} and {} in {} s", train, test, String.format("%.1f", seconds));
    return seconds;
  }

  private boolean exists(String path) {
    try {
      org.apache.hadoop.fs.Path hadoopPath = new org.apache.hadoop.fs.Path(path);
      return hadoopPath.getFileSystem(spark.sparkContext().hadoopConfiguration())
          .exists(hadoopPath);
    } catch (IOException e) {
      throw new InvalidInputException("cannot access " + path + ": " + e.getMessage(), e);
    }
  }

  private boolean higherIsBetter(String metric) {
    String task = metric.substring(0, metric.lastIndexOf('.'));
    return config.tasks().stream().filter(t -> t.name().equals(task)).findFirst().orElseThrow()
        .type().higherIsBetter(metric.substring(metric.lastIndexOf('.') + 1));
  }

  /** One INFO line per round; the ETA extrapolates the mean round time so far. */
  private void logRound(RoundResult result, double meanRoundSeconds) {
    int rounds = config.federation().rounds();
    StringBuilder line = new StringBuilder(String.format("round %d/%d  clients %d",
        result.round(), rounds, result.trainedClients()));
    if (result.skippedClients() > 0) {
      line.append(String.format(" (%d skipped)", result.skippedClients()));
    }
    line.append(String.format("  train_loss %.4f", result.trainLoss()));
    result.metrics().forEach((metric, value) ->
        line.append(String.format("  %s %.4f", metric, value)));
    line.append(String.format("  %.2f s  ETA %.0f s", result.seconds(),
        meanRoundSeconds * (rounds - result.round())));
    LOG.info(line.toString());
  }

  /**
   * Writes {@code report.html}. A report that cannot be drawn (a JVM without fonts, say) costs
   * the run nothing else: it is said in the log, and {@code fedmtl report} can draw it later.
   */
  private static void writeReport(RunDirectory run) {
    try {
      RunReport.write(run.folder());
    } catch (RuntimeException | LinkageError | java.awt.AWTError | InternalError e) {
      // InternalError: what a JDK without fonts throws when Java2D first needs one.
      LOG.warn("report.html not written ({}); `fedmtl report {}` draws it from the run's files",
          e.toString(), run.folder());
    }
  }

  private static void writeModel(RunDirectory run, ComputationGraph network) {
    Path temporary = run.temporaryFile(RunDirectory.MODEL);
    try {
      ModelSerializer.writeModel(network, temporary.toFile(), false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the model to " + temporary, e);
    }
    run.moveIn(temporary, RunDirectory.MODEL);
  }

  private Map<String, Object> summary(RunTotals totals, double wallSeconds, ClientData clients,
      ParameterLayout layout) {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("name", config.name());
    summary.put("seed", config.seed());
    summary.put("rounds", config.federation().rounds());
    summary.put("clients", clients.clientCount());
    summary.put("clients_per_round", config.federation().clientsPerRound());
    summary.put("parameters", layout.size());
    summary.put("wall_seconds", wallSeconds);
    summary.put("seconds_per_round", totals.roundSeconds() / totals.rounds());
    summary.put("bytes_moved", totals.bytesMoved());
    summary.put("skipped_clients", totals.skippedClients());
    summary.put("executors", totals.executors());
    summary.put("client_participation", participation(clients.clientCount()));
    summary.put("final_train_loss", Double.isNaN(totals.lastTrainLoss()) ? null
        : totals.lastTrainLoss());
    Map<String, Object> metrics = new LinkedHashMap<>();
    totals.metrics().records().forEach((metric, record) -> {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("final", record.last());
      entry.put("final_round", record.lastRound());
      entry.put("best", record.best());
      entry.put("best_round", record.bestRound());
      metrics.put(metric, entry);
    });
    summary.put("metrics", metrics);
    summary.put("config_digest", "sha256:" + configDigest());
    summary.put("config_source", config.source());
    summary.put("versions", versions());
    return summary;
  }

  /**
   * How many clients were sampled in how many rounds, as rows {rounds, clients} for every count
   * of rounds from 0 to the most any client had; recomputed from the sampling streams, so a
   * resumed run reports all its rounds.
   */
  List<Map<String, Integer>> participation(int clientCount) {
    int[] sampledIn = new int[clientCount];
    int most = 0;
    for (int round = 1; round <= config.federation().rounds(); round++) {
      for (int client : ClientSampler.sample(config.seed(), round, clientCount,
          config.federation().clientsPerRound())) {
        most = Math.max(most, ++sampledIn[client]);
      }
    }
    int[] clientsByRounds = new int[most + 1];
    for (int rounds : sampledIn) {
      clientsByRounds[rounds]++;
    }
    List<Map<String, Integer>> rows = new ArrayList<>();
    for (int rounds = 0; rounds <= most; rounds++) {
      Map<String, Integer> row = new LinkedHashMap<>();
      row.put("rounds", rounds);
      row.put("clients", clientsByRounds[rounds]);
      rows.add(row);
    }
    return rows;
  }

  /** SHA-256 of the resolved configuration without the run folder: the experiment's identity. */
  String configDigest() {
    String canonical = config.resolved().withoutPath("output").withoutPath("checkpoint").root()
        .render(ConfigRenderOptions.concise().setJson(true));
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(canonical.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, String> versions() {
    Properties properties = new Properties();
    String resource = "/org/fedmtl/versions.properties";
    try (InputStream in = TrainingJob.class.getResourceAsStream(resource)) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> versions = new LinkedHashMap<>();
    versions.put("fedmtl", properties.getProperty("fedmtl", "unknown"));
    versions.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    versions.put("dl4j", properties.getProperty("dl4j", "unknown"));
    versions.put("java", System.getProperty("java.version"));
    return versions;
  }
}
