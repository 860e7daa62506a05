package org.fedmtl.job;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.commons.text.similarity.LevenshteinDistance;
import org.fedmtl.InvalidInputException;
import org.fedmtl.aggregation.ServerOptimizer;
import org.fedmtl.client.LocalTrainingSpec;
import org.fedmtl.data.DataSpec;
import org.fedmtl.data.MultiMnist;
import org.fedmtl.data.SyntheticData;
import org.fedmtl.federation.FederationSpec;
import org.fedmtl.model.ModelSpec;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;

/**
 * Reads the experiment configuration: the defaults ({@code conf/default.conf}, on the class path
 * as {@code default.conf}), a configuration file that overrides them, and {@code key=value}
 * arguments that override both. Unknown keys and bad values are rejected with a message naming
 * the key, where it was set, and what is allowed.
 */
public final class ConfigLoader {
  static final String DEFAULTS = "default.conf";
  private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");
  private static final Pattern EXPERIMENT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Set<String> TASK_KEYS =
      Set.of("name", "type", "classes", "label", "loss-weight");

  private ConfigLoader() {}

  /**
   * Loads and validates an experiment.
   *
   * @param file a configuration file, or null for the defaults alone
   * @param overrides {@code key=value} arguments, applied last
   */
  public static ExperimentConfig load(File file, List<String> overrides) {
    Config defaults = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), DEFAULTS,
        ConfigParseOptions.defaults().setAllowMissing(false));
    Config user = ConfigFactory.empty();
    String source = "defaults";
    if (file != null) {
      if (file.isDirectory()) {
        throw new InvalidInputException("configuration file " + file + " is a folder");
      }
      if (!file.isFile()) {
        throw new InvalidInputException("configuration file " + file + " does not exist");
      }
      user = parse(() -> ConfigFactory.parseFile(file,
          ConfigParseOptions.defaults().setAllowMissing(false)));
      source = file.getPath();
    }
    Config commandLine = parseOverrides(overrides);
    if (!overrides.isEmpty()) {
      source = source + " + command line";
    }
    rejectUnknownKeys(defaults, user);
    rejectUnknownKeys(defaults, commandLine);

    Config merged = commandLine.withFallback(user).withFallback(defaults);
    Config resolved = parse(() -> merged.resolve(ConfigResolveOptions.defaults()
        .setAllowUnresolved(false)));
    return validate(resolved, source);
  }

  private static Config parseOverrides(List<String> overrides) {
    Config config = ConfigFactory.empty();
    for (String override : overrides) {
      int equals = override.indexOf('=');
      if (equals <= 0) {
        throw new InvalidInputException("argument '" + override
            + "' is not key=value (for example rounds=5)");
      }
      String key = override.substring(0, equals).trim();
      String value = override.substring(equals + 1);
      Config one;
      try {
        one = ConfigFactory.parseString(key + " = " + value,
            ConfigParseOptions.defaults().setOriginDescription("command line " + override));
      } catch (ConfigException e) {
        one = ConfigFactory.empty("command line " + override)
            .withValue(quotedPath(key), ConfigValueFactory.fromAnyRef(value,
                "command line " + override));
      }
      config = one.withFallback(config);
    }
    return config;
  }

  private static String quotedPath(String key) {
    try {
      com.typesafe.config.ConfigUtil.splitPath(key);
      return key;
    } catch (ConfigException e) {
      throw new InvalidInputException("argument key '" + key + "' is not a configuration key");
    }
  }

  private static void rejectUnknownKeys(Config defaults, Config given) {
    Set<String> known = new HashSet<>();
    for (Map.Entry<String, ConfigValue> entry : defaults.entrySet()) {
      known.add(entry.getKey());
    }
    for (Map.Entry<String, ConfigValue> entry : given.entrySet()) {
      String key = entry.getKey();
      if (known.contains(key)) {
        continue;
      }
      String where = origin(entry.getValue());
      String parent = known.stream().anyMatch(k -> key.startsWith(k + ".")) ? known.stream()
          .filter(k -> key.startsWith(k + ".")).findFirst().orElseThrow() : null;
      if (parent != null) {
        throw new InvalidInputException(where + ": key '" + parent + "' takes a single value, "
            + "not an object with '" + key.substring(parent.length() + 1) + "'");
      }
      throw new InvalidInputException(where + ": unknown key '" + key + "'" + suggestion(key,
          known));
    }
  }

  /** Where a value was set: "file: line", or "command line key=value". */
  static String origin(ConfigValue value) {
    String description = value.origin().description();
    if (description.startsWith("command line ")) {
      return description.replaceFirst(": \\d+$", "");
    }
    return description;
  }

  private static String suggestion(String key, Set<String> known) {
    LevenshteinDistance distance = LevenshteinDistance.getDefaultInstance();
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int d = distance.apply(key, candidate);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(2, key.length() / 4)
        ? " (did you mean '" + best + "'?)" : "; the keys are listed in conf/default.conf";
  }

  private static ExperimentConfig validate(Config config, String source) {
    Keys keys = new Keys(config);
    String name = keys.string("name");
    if (!EXPERIMENT_NAME.matcher(name).matches()) {
      throw keys.invalid("name", "must be letters, digits, '.', '_' or '-', got '" + name + "'");
    }
    long seed = keys.longValue("seed");
    int rounds = keys.integer("rounds", 1, 10_000_000);
    int clientsPerRound = keys.integer("clients-per-round", 1, 100_000_000);
    int evaluateEvery = keys.integer("evaluate-every", 1, 10_000_000);

    int localEpochs = keys.integer("local.epochs", 1, 100_000);
    int batchSize = keys.integer("local.batch-size", 1, 1_000_000);
    String engine = keys.oneOf("local.engine", LocalTrainingSpec.ENGINES);
    String optimizer = keys.oneOf("local.optimizer", ModelSpec.OPTIMIZERS);
    double learningRate = keys.positive("local.learning-rate", 100);
    String aggregator = keys.oneOf("aggregation.aggregator", List.of("fedavg"));
    String serverOptimizer = keys.oneOf("aggregation.server-optimizer",
        List.of("none", "momentum", "adam"));
    ServerOptimizer.Spec serverSettings = new ServerOptimizer.Spec(serverOptimizer,
        keys.positive("aggregation.server-learning-rate", 100),
        keys.decay("aggregation.server-beta1"), keys.decay("aggregation.server-beta2"),
        keys.positive("aggregation.server-tau", 1000));
    ServerOptimizer.Spec server = serverOptimizer.equals("none") ? null : serverSettings;

    String backbone = keys.oneOf("model.backbone", ModelSpec.BACKBONES);
    List<Integer> inputShape = keys.positiveIntegers("model.input-shape", 1 << 24);
    if (backbone.equals("mlp") && inputShape.size() != 1) {
      throw keys.invalid("model.input-shape", "must be [features] for the mlp backbone, got "
          + inputShape);
    }
    if (backbone.equals("lenet")) {
      if (inputShape.size() != 3) {
        throw keys.invalid("model.input-shape",
            "must be [channels, height, width] for the lenet backbone, got " + inputShape);
      }
      if (inputShape.get(1) < 16 || inputShape.get(2) < 16) {
        throw keys.invalid("model.input-shape", "height and width must be at least 16 for "
            + "lenet's two 5x5 convolutions and poolings, got " + inputShape);
      }
    }
    List<Integer> convolutionChannels =
        keys.positiveIntegers("model.convolution-channels", 4096);
    if (convolutionChannels.size() != 2) {
      throw keys.invalid("model.convolution-channels", "must list 2 channel counts, got "
          + convolutionChannels);
    }
    List<Integer> backboneLayers = keys.positiveIntegers("model.backbone-layers", 1 << 16);
    if (backboneLayers.isEmpty() && backbone.equals("mlp")) {
      throw keys.invalid("model.backbone-layers", "the mlp backbone needs at least one layer");
    }
    if (engine.equals("dense") && !backbone.equals("mlp")) {
      throw keys.invalid("local.engine", "the dense engine trains mlp backbones only; "
          + "use dl4j or auto for " + backbone);
    }
    if (engine.equals("auto")) {
      engine = backbone.equals("mlp") ? "dense" : "dl4j";
    }
    LocalTrainingSpec local = new LocalTrainingSpec(localEpochs, batchSize, engine);
    ModelSpec model = new ModelSpec(backbone, backboneLayers, convolutionChannels,
        keys.positiveIntegers("model.head-layers", 1 << 16), inputShape, optimizer, learningRate);

    List<TaskSpec> tasks = tasks(config, keys);

    String format = keys.oneOf("data.format", List.of("parquet", "csv"));
    List<String> featureColumns = keys.strings("data.feature-columns");
    String featuresColumn = featureColumns.isEmpty() ? keys.string("data.features-column") : "";
    if (featuresColumn.isEmpty() && featureColumns.isEmpty()) {
      throw keys.invalid("data.features-column", "is empty and data.feature-columns lists no "
          + "columns: name the features' array column or list the numeric feature columns");
    }
    if (format.equals("csv") && featureColumns.isEmpty()) {
      throw keys.invalid("data.feature-columns", "CSV data needs its features as named numeric "
          + "columns in data.feature-columns");
    }
    if (!featureColumns.isEmpty() && featureColumns.size() != model.inputSize()) {
      throw keys.invalid("data.feature-columns", "lists " + featureColumns.size()
          + " columns but model.input-shape " + inputShape + " needs " + model.inputSize());
    }
    DataSpec data = new DataSpec(keys.nonEmpty("data.train"), keys.nonEmpty("data.test"), format,
        keys.nonEmpty("data.client-column"), featuresColumn, featureColumns, model.inputSize(),
        keys.integer("data.partitions", 0, 1_000_000));
    String generator = keys.oneOf("data.generator", List.of("none", "synthetic", "multimnist"));
    int rowsPerClient = keys.integer("data.synthetic.rows-per-client", 1, 100_000_000);
    int maxRows = keys.integer("data.synthetic.max-rows-per-client", 0, 100_000_000);
    if (maxRows != 0 && maxRows < rowsPerClient) {
      throw keys.invalid("data.synthetic.max-rows-per-client", "is " + maxRows
          + ", fewer than data.synthetic.rows-per-client (" + rowsPerClient + "); use 0 for "
          + "clients of one size");
    }
    SyntheticData.Spec synthetic = new SyntheticData.Spec(
        keys.integer("data.synthetic.clients", 1, 100_000_000), rowsPerClient,
        Math.max(maxRows, rowsPerClient), keys.positive("data.synthetic.size-exponent", 100),
        keys.nonNegative("data.synthetic.label-alpha", 1e6),
        keys.integer("data.synthetic.test-rows", 1, 100_000_000), model.inputSize(),
        keys.longValue("data.synthetic.seed"));
    MultiMnist.Spec multiMnist = new MultiMnist.Spec(
        keys.integer("data.multimnist.clients", 1, 60_000),
        keys.nonEmpty("data.multimnist.mnist-dir"),
        keys.oneOf("data.multimnist.split", List.of("iid", "dirichlet")),
        keys.positive("data.multimnist.dirichlet-alpha", 1e6),
        keys.longValue("data.multimnist.seed"));

    int minClients = keys.integer("aggregation.min-clients", 1, 100_000_000);
    if (minClients > clientsPerRound) {
      throw keys.invalid("aggregation.min-clients", "is " + minClients
          + ", more than clients-per-round (" + clientsPerRound + "); no round could update");
    }
    FederationSpec federation = new FederationSpec(seed, rounds, clientsPerRound, evaluateEvery,
        minClients);
    return new ExperimentConfig(name, federation, local, aggregator, server, model, tasks, data,
        generator, synthetic, multiMnist,
        keys.integer("analysis.task-affinity-every", 0, 10_000_000),
        keys.integer("checkpoint.every", 0, 10_000_000),
        keys.string("output.dir"), config, source);
  }

  private static List<TaskSpec> tasks(Config config, Keys keys) {
    ConfigList list;
    try {
      list = config.getList("tasks");
    } catch (ConfigException e) {
      throw new InvalidInputException(e.getMessage());
    }
    if (list.isEmpty()) {
      throw keys.invalid("tasks", "must declare at least one task");
    }
    List<TaskSpec> tasks = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      ConfigValue value = list.get(i);
      String key = "tasks[" + i + "]";
      if (value.valueType() != ConfigValueType.OBJECT) {
        throw new InvalidInputException(value.origin().description() + ": " + key
            + " must be an object like {name = digit, type = classification, classes = 10, "
            + "label = y}");
      }
      Config task = ((ConfigObject) value).toConfig();
      for (String taskKey : ((ConfigObject) value).keySet()) {
        if (!TASK_KEYS.contains(taskKey)) {
          throw new InvalidInputException(value.origin().description() + ": " + key
              + ": unknown key '" + taskKey + "'; a task has " + String.join(", ",
                  new java.util.TreeSet<>(TASK_KEYS)));
        }
      }
      Keys taskKeys = new Keys(task, key + ".");
      String name = taskKeys.string("name");
      if (!NAME.matcher(name).matches() || name.startsWith("backbone")) {
        throw taskKeys.invalid("name", "must start with a letter, hold only letters, digits and "
            + "_, and not start with 'backbone'; got '" + name + "'");
      }
      if (!names.add(name)) {
        throw taskKeys.invalid("name", "task '" + name + "' is declared twice");
      }
      String typeName = taskKeys.oneOf("type", java.util.Arrays.stream(TaskType.values())
          .map(TaskType::configName).toList());
      TaskType type = TaskType.valueOf(typeName.toUpperCase(Locale.ROOT));
      int classes = 1;
      if (type == TaskType.CLASSIFICATION) {
        if (!task.hasPath("classes")) {
          throw taskKeys.invalid("classes", "missing; a classification task needs its number "
              + "of classes");
        }
        classes = taskKeys.integer("classes", 2, 1_000_000);
      } else if (task.hasPath("classes")) {
        throw taskKeys.invalid("classes", "only classification tasks have classes");
      }
      String label = taskKeys.nonEmpty("label");
      double lossWeight = task.hasPath("loss-weight")
          ? taskKeys.nonNegative("loss-weight", 1e6) : 1.0;
      tasks.add(new TaskSpec(name, type, classes, label, lossWeight));
    }
    if (tasks.stream().allMatch(t -> t.lossWeight() == 0)) {
      throw keys.invalid("tasks", "every task has loss-weight 0; nothing would be trained");
    }
    return List.copyOf(tasks);
  }

  /**
   * Why {@code config.generator()} cannot make data this experiment reads (its format, label
   * columns or input shape), or null when it can. Asked only when the data is missing and is to
   * be generated: an experiment on existing data may use any columns.
   */
  static String generatorProblem(ExperimentConfig config) {
    String generator = config.generator();
    if (generator.equals("none")) {
      return null;
    }
    if (!config.data().format().equals("parquet")) {
      return "generated data is Parquet, but data.format = " + config.data().format();
    }
    List<String> labels = generator.equals("synthetic") ? List.of("y1", "y2")
        : List.of("left", "right");
    for (TaskSpec task : config.tasks()) {
      if (!labels.contains(task.labelColumn())) {
        return generator + " data has the label columns " + labels + ", but task '"
            + task.name() + "' reads '" + task.labelColumn() + "'";
      }
    }
    if (generator.equals("multimnist") && config.model().inputSize() != 28 * 28) {
      return "MultiMNIST images are [1, 28, 28], but model.input-shape = "
          + config.model().inputShape();
    }
    return null;
  }

  private static <T> T parse(java.util.function.Supplier<T> parser) {
    try {
      return parser.get();
    } catch (ConfigException e) {
      throw new InvalidInputException(e.getMessage());
    }
  }

  /** Typed, range-checked access to configuration keys, with messages naming the key. */
  private static final class Keys {
    private final Config config;
    private final String prefix;

    Keys(Config config) {
      this(config, "");
    }

    Keys(Config config, String prefix) {
      this.config = config;
      this.prefix = prefix;
    }

    InvalidInputException invalid(String key, String problem) {
      String where = config.hasPath(key) ? origin(config.getValue(key)) + ": " : "";
      return new InvalidInputException(where + prefix + key + ": " + problem);
    }

    private <T> T get(String key, java.util.function.Function<String, T> getter, String type) {
      if (!config.hasPath(key)) {
        throw new InvalidInputException(prefix + key + ": missing; expected " + type);
      }
      try {
        return getter.apply(key);
      } catch (ConfigException.WrongType e) {
        throw invalid(key, "expected " + type + ", got " + describe(config.getValue(key)));
      }
    }

    private ConfigValue value(String key) {
      if (!config.hasPath(key)) {
        throw new InvalidInputException(prefix + key + ": missing");
      }
      return config.getValue(key);
    }

    String string(String key) {
      ConfigValue value = value(key);
      if (value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST
          || value.valueType() == ConfigValueType.NULL) {
        throw invalid(key, "expected a string, got " + describe(value));
      }
      return get(key, config::getString, "a string");
    }

    String nonEmpty(String key) {
      String value = string(key);
      if (value.isBlank()) {
        throw invalid(key, "must not be empty");
      }
      return value;
    }

    String oneOf(String key, List<String> allowed) {
      String value = string(key);
      if (!allowed.contains(value)) {
        throw invalid(key, "must be one of " + String.join(", ", allowed) + "; got '" + value
            + "'");
      }
      return value;
    }

    long longValue(String key) {
      ConfigValue value = value(key);
      if (value.valueType() != ConfigValueType.NUMBER
          || !(value.unwrapped() instanceof Integer || value.unwrapped() instanceof Long)) {
        throw invalid(key, "expected an integer, got " + describe(value));
      }
      return config.getLong(key);
    }

    int integer(String key, int min, int max) {
      long value = longValue(key);
      if (value < min || value > max) {
        throw invalid(key, "must be an integer in " + min + ".." + max + ", got " + value);
      }
      return (int) value;
    }

    double positive(String key, double max) {
      double value = number(key);
      if (!(value > 0 && value <= max)) {
        throw invalid(key, "must be a finite number above 0 and at most " + max + ", got "
            + config.getValue(key).render());
      }
      return value;
    }

    /** A decay factor: from 0 up to, not including, 1. */
    double decay(String key) {
      double value = number(key);
      if (!(value >= 0 && value < 1)) {
        throw invalid(key, "must be a number from 0 up to (not including) 1, got "
            + config.getValue(key).render());
      }
      return value;
    }

    double nonNegative(String key, double max) {
      double value = number(key);
      if (!(value >= 0 && value <= max)) {
        throw invalid(key, "must be a finite number from 0 to " + max + ", got "
            + config.getValue(key).render());
      }
      return value;
    }

    private double number(String key) {
      ConfigValue value = value(key);
      if (value.valueType() == ConfigValueType.STRING) {
        String text = ((String) value.unwrapped()).trim();
        if (text.equalsIgnoreCase("nan") || text.toLowerCase(Locale.ROOT).contains("inf")) {
          throw invalid(key, "must be a finite number, got " + text);
        }
      }
      if (value.valueType() != ConfigValueType.NUMBER) {
        throw invalid(key, "expected a number, got " + describe(value));
      }
      return config.getDouble(key);
    }

    List<Integer> positiveIntegers(String key, int max) {
      ConfigValue value = value(key);
      if (value.valueType() != ConfigValueType.LIST) {
        throw invalid(key, "expected a list of integers like [64, 32], got " + describe(value));
      }
      List<Integer> values = new ArrayList<>();
      for (ConfigValue element : (ConfigList) value) {
        Object raw = element.unwrapped();
        if (!(raw instanceof Integer number) || number < 1 || number > max) {
          throw invalid(key, "every entry must be an integer in 1.." + max + ", got "
              + element.render());
        }
        values.add(number);
      }
      return List.copyOf(values);
    }

    List<String> strings(String key) {
      ConfigValue value = value(key);
      if (value.valueType() != ConfigValueType.LIST) {
        throw invalid(key, "expected a list of column names, got " + describe(value));
      }
      List<String> values = new ArrayList<>();
      for (ConfigValue element : (ConfigList) value) {
        if (element.valueType() != ConfigValueType.STRING
            || ((String) element.unwrapped()).isBlank()) {
          throw invalid(key, "every entry must be a column name, got " + element.render());
        }
        values.add((String) element.unwrapped());
      }
      return List.copyOf(values);
    }

    private static String describe(ConfigValue value) {
      return value.valueType().name().toLowerCase(Locale.ROOT) + " " + value.render();
    }
  }
}
