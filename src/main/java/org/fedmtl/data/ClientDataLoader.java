package org.fedmtl.data;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.fedmtl.InvalidInputException;
import org.fedmtl.tasks.TaskSpec;
import scala.Tuple2;

/**
 * Reads client data with Spark SQL, validates it before any training starts, and builds the
 * cached RDD of client shards.
 *
 * <p>Validation runs in the pass that reads the data and stops at the first kind of problem it
 * finds, naming the file, the column, how many rows have it and the first client that does.
 */
public final class ClientDataLoader {
  /** Most partitions used when the configuration leaves the count to the loader. */
  static final int AUTOMATIC_PARTITION_LIMIT = 1024;
  /** Rows per evaluation block: the unit whose metrics are merged in a fixed order. */
  static final int EVALUATION_BLOCK_ROWS = 8192;

  private final SparkSession spark;
  private final DataSpec spec;
  private final List<TaskSpec> tasks;

  public ClientDataLoader(SparkSession spark, DataSpec spec, List<TaskSpec> tasks) {
    this.spark = spark;
    this.spec = spec;
    this.tasks = List.copyOf(tasks);
  }

  /** Loads, validates and partitions the training data by client. */
  public ClientData loadTraining() {
    Dataset<Row> raw = read(spec.train(), "data.train", true);
    JavaRDD<RowBlock> blocks = inspectedBlocks(
        projection(raw, col(quoted(spec.clientColumn())).cast(DataTypes.StringType)),
        "data.train", spec.train());
    try {
      List<RowBlock.Inspection> inspections = inspect(blocks, "data.train", spec.train());
      long rows = requireGood(inspections, "data.train", spec.train());
      TreeMap<String, Integer> rowsByClient = new TreeMap<>(CLIENT_ORDER);
      for (RowBlock.Inspection inspection : inspections) {
        for (int c = 0; c < inspection.clientIds().length; c++) {
          rowsByClient.merge(inspection.clientIds()[c], inspection.clientRows()[c], Integer::sum);
        }
      }
      List<String> clientIds = new ArrayList<>(rowsByClient.keySet());
      int[] clientRows = rowsByClient.values().stream().mapToInt(Integer::intValue).toArray();
      int partitions = spec.partitions() > 0
          ? Math.min(spec.partitions(), clientIds.size())
          : Math.min(clientIds.size(), AUTOMATIC_PARTITION_LIMIT);
      Map<String, Integer> indexByClient = new HashMap<>();
      for (int i = 0; i < clientIds.size(); i++) {
        indexByClient.put(clientIds.get(i), i);
      }
      JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Broadcast<Map<String, Integer>> index = context.broadcast(indexByClient);
      JavaRDD<ClientShard> shards;
      try {
        shards = cachedShards(blocks, (block, r) -> index.value().get(block.client(r)),
            partitions, false, "client shards");
      } finally {
        // Not destroyed: a lost shard is rebuilt by running the shuffle's map side again, which
        // reads the index; executors fetch it from the driver again then.
        index.unpersist(false);
      }
      return new ClientData(shards, clientIds, clientRows, partitions, rows);
    } finally {
      blocks.unpersist(false);
    }
  }

  /**
   * Loads and validates the test data as evaluation blocks: each row goes to a block chosen by a
   * hash of its content, so blocks (and the order their metrics are merged in) do not depend on
   * how Spark split the files.
   */
  public ClientData loadTest() {
    Dataset<Row> raw = read(spec.test(), "data.test", false);
    JavaRDD<RowBlock> blocks = inspectedBlocks(projection(raw, lit("test")), "data.test",
        spec.test());
    try {
      long rows = requireGood(inspect(blocks, "data.test", spec.test()), "data.test",
          spec.test());
      int count = (int) Math.max(1, (rows + EVALUATION_BLOCK_ROWS - 1) / EVALUATION_BLOCK_ROWS);
      int partitions = Math.min(count, spark.sparkContext().defaultParallelism());
      List<String> blockIds = new ArrayList<>();
      for (int b = 0; b < count; b++) {
        blockIds.add("block-" + b);
      }
      JavaRDD<ClientShard> shards = cachedShards(blocks,
          (block, r) -> Math.floorMod(block.contentHash(r), count), partitions, true,
          "test blocks");
      return new ClientData(shards, blockIds, new int[0], partitions, rows);
    } finally {
      blocks.unpersist(false);
    }
  }

  /**
   * The data as row blocks, one per input partition, each row checked; cached, so that the pass
   * that reports the checks and the pass that builds the shards read the files once.
   *
   * <p>The query is the scan and the casts of {@link #projection}, read as Spark SQL's internal
   * rows: no per-row objects, no deserializer to generate, and little for the optimiser to do.
   */
  private JavaRDD<RowBlock> inspectedBlocks(Dataset<Row> projected, String key, String path) {
    ExampleChecks checks = checks(key);
    int tasks = this.tasks.size();
    spark.sparkContext().setJobDescription("reading and checking " + key + " (" + path + ")");
    return projected.queryExecution().toRdd().toJavaRDD()
        .mapPartitions(rows -> List.of(RowBlock.read(rows, checks, tasks)).iterator())
        .setName("rows of " + key)
        .persist(StorageLevel.MEMORY_AND_DISK());
  }

  /**
   * Reads and checks the data (the first pass over the files); a file that cannot be read is
   * reported as invalid input.
   */
  private static List<RowBlock.Inspection> inspect(JavaRDD<RowBlock> blocks, String key,
      String path) {
    try {
      return blocks.map(RowBlock::inspection).collect();
    } catch (Exception e) {
      // Spark throws its checked SparkException undeclared when a task cannot read a file.
      throw new InvalidInputException(key + " (" + path + "): cannot read the data: "
          + rootMessage(e), e);
    }
  }

  /**
   * Reports the first check that some rows fail (or an empty dataset) as invalid input; returns
   * the row count. Reading errors surface here, when the blocks are first computed.
   */
  private long requireGood(List<RowBlock.Inspection> inspections, String key, String path) {
    String where = key + " (" + path + ")";
    ExampleChecks checks = checks(key);
    RowBlock.Inspection total = inspections.stream().reduce(RowBlock.Inspection::merge)
        .orElse(new RowBlock.Inspection(0, new long[checks.count()],
            new String[checks.count()], new String[0], new int[0]));
    if (total.rows() == 0) {
      throw new InvalidInputException(where + ": the dataset has no rows");
    }
    for (int c = 0; c < checks.count(); c++) {
      if (total.problemRows()[c] > 0) {
        throw new InvalidInputException(where + ": " + checks.problem(c, total.problemRows()[c])
            + " (first: " + total.firstProblem()[c] + ")");
      }
    }
    return total.rows();
  }

  /**
   * Moves each row to the partition of its key ({@code key % partitions}), builds one shard per
   * key there, and caches and materialises the result. Rows travel grouped: one chunk per key
   * and input partition. Test blocks are named {@code block-<key>}, clients by their id.
   */
  private JavaRDD<ClientShard> cachedShards(JavaRDD<RowBlock> blocks, RowBlock.RowKey key,
      int partitions, boolean testBlocks, String name) {
    int featureSize = spec.featureSize();
    int taskCount = tasks.size();
    spark.sparkContext().setJobDescription("building " + name);
    JavaRDD<ClientShard> shards = blocks
        .flatMapToPair(block -> block.chunks(key).stream()
            .map(chunk -> new Tuple2<>(chunk.key() % partitions, chunk)).iterator())
        .partitionBy(new ExactPartitioner(partitions))
        .mapPartitions(chunks -> buildShards(chunks, featureSize, taskCount, testBlocks), true)
        .setName(name)
        .persist(StorageLevel.MEMORY_ONLY());
    try {
      shards.count();
    } finally {
      spark.sparkContext().setJobDescription(null);
    }
    return shards;
  }

  private Dataset<Row> read(String path, String key, boolean needsClientColumn) {
    if (path == null || path.isBlank()) {
      throw new InvalidInputException(key + ": no data path given");
    }
    try {
      Path hadoopPath = new Path(path);
      if (!hadoopPath.getFileSystem(spark.sparkContext().hadoopConfiguration())
          .exists(hadoopPath)) {
        throw new InvalidInputException(key + ": " + path + " does not exist");
      }
    } catch (IOException e) {
      throw new InvalidInputException(key + ": cannot access " + path + ": " + e.getMessage(), e);
    }

    Dataset<Row> raw;
    try {
      raw = switch (spec.format()) {
        case "csv" -> readCsv(path, needsClientColumn);
        default -> spark.read().parquet(path);
      };
    } catch (Exception e) {
      // Spark throws its checked SparkException undeclared when a file is unreadable.
      String hint = spec.format().equals("parquet") && path.toLowerCase().endsWith(".csv")
          ? " (for CSV files set data.format = csv)" : "";
      throw new InvalidInputException(key + ": cannot read " + path + " as " + spec.format()
          + hint + ": " + rootMessage(e), e);
    }

    String where = key + " (" + path + ")";
    if (needsClientColumn) {
      requireColumn(raw, spec.clientColumn(), where, "the client column (data.client-column)");
    }
    if (!spec.featuresColumn().isEmpty()) {
      requireColumn(raw, spec.featuresColumn(), where,
          "the features column (data.features-column)");
      DataType type = raw.schema().apply(spec.featuresColumn()).dataType();
      if (!(type instanceof ArrayType array && array.elementType() instanceof NumericType)) {
        throw new InvalidInputException(where + ": column '" + spec.featuresColumn() + "' has type "
            + type.simpleString() + ", expected an array of numbers");
      }
    } else {
      for (String column : spec.featureColumns()) {
        requireColumn(raw, column, where, "a feature column (data.feature-columns)");
        requireNumeric(raw, column, where, "a feature");
      }
    }
    for (TaskSpec task : tasks) {
      requireColumn(raw, task.labelColumn(), where,
          "the label column of task '" + task.name() + "'");
      requireNumeric(raw, task.labelColumn(), where, "the label of task '" + task.name() + "'");
    }
    return raw;
  }

  /**
   * CSV with the types of its columns inferred, except two cases where inference would get the
   * data wrong: the client column is read as text (inferred as a number, ids such as "01" and
   * "1" would become one client), and a feature or label column whose cells are all empty is read
   * as numbers (inference calls it text; for a label it means no row has one).
   */
  private Dataset<Row> readCsv(String path, boolean clients) {
    Dataset<Row> inferred = spark.read().option("header", "true").option("inferSchema", "true")
        .csv(path);
    List<String> numeric = new ArrayList<>(spec.featureColumns());
    tasks.forEach(task -> numeric.add(task.labelColumn()));
    List<String> empty = new ArrayList<>();
    for (StructField field : inferred.schema().fields()) {
      if (numeric.contains(field.name()) && field.dataType().equals(DataTypes.StringType)
          && inferred.filter(col(quoted(field.name())).isNotNull()).isEmpty()) {
        empty.add(field.name());
      }
    }
    boolean clientAsText = clients
        && Arrays.asList(inferred.columns()).contains(spec.clientColumn());
    if (!clientAsText && empty.isEmpty()) {
      return inferred;
    }
    StructType schema = new StructType(Arrays.stream(inferred.schema().fields())
        .map(field -> clientAsText && field.name().equals(spec.clientColumn())
            ? new StructField(field.name(), DataTypes.StringType, true, field.metadata())
            : empty.contains(field.name())
                ? new StructField(field.name(), DataTypes.DoubleType, true, field.metadata())
                : field)
        .toArray(StructField[]::new));
    return spark.read().option("header", "true").schema(schema).csv(path);
  }

  /**
   * The columns {@link ExampleChecks} reads, in its order: client id as a string, features as an
   * array of floats, each task's label as a double (null: none), and the file of the row.
   */
  private Dataset<Row> projection(Dataset<Row> raw, Column client) {
    List<Column> columns = new ArrayList<>();
    columns.add(client);
    columns.add(spec.featuresColumn().isEmpty()
        ? array(spec.featureColumns().stream().map(c -> col(quoted(c)).cast(DataTypes.FloatType))
            .toArray(Column[]::new))
        : col(quoted(spec.featuresColumn()))
            .cast(DataTypes.createArrayType(DataTypes.FloatType)));
    for (TaskSpec task : tasks) {
      columns.add(col(quoted(task.labelColumn())).cast(DataTypes.DoubleType));
    }
    columns.add(input_file_name());
    return raw.select(columns.toArray(Column[]::new));
  }

  /** The checks of the data under {@code key}: training data has clients, test data not. */
  private ExampleChecks checks(String key) {
    String featureName = spec.featuresColumn().isEmpty()
        ? "the feature columns " + spec.featureColumns() : "column '" + spec.featuresColumn() + "'";
    return new ExampleChecks(key.equals("data.train") ? spec.clientColumn() : null, featureName,
        spec.featureSize(), tasks);
  }

  /**
   * Numeric identifiers in numeric order (identifiers of equal value, such as "7" and "007", in
   * string order), then the rest in string order.
   */
  static final Comparator<String> CLIENT_ORDER = (a, b) -> {
    boolean aNumeric = isInteger(a);
    boolean bNumeric = isInteger(b);
    if (aNumeric && bNumeric) {
      int byValue = Long.compare(Long.parseLong(a), Long.parseLong(b));
      return byValue != 0 ? byValue : a.compareTo(b);
    }
    if (aNumeric != bNumeric) {
      return aNumeric ? -1 : 1;
    }
    return a.compareTo(b);
  };

  /** An optional minus sign and at most 18 digits: parses as a long. */
  private static boolean isInteger(String text) {
    int digits = text.startsWith("-") ? text.length() - 1 : text.length();
    if (digits == 0 || digits > 18) {
      return false;
    }
    for (int i = text.length() - digits; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static Iterator<ClientShard> buildShards(
      Iterator<Tuple2<Integer, RowBlock.ClientChunk>> keyed, int featureSize, int tasks,
      boolean testBlocks) {
    Map<Integer, List<RowBlock.ClientChunk>> byKey = new TreeMap<>();
    while (keyed.hasNext()) {
      RowBlock.ClientChunk chunk = keyed.next()._2();
      byKey.computeIfAbsent(chunk.key(), k -> new ArrayList<>()).add(chunk);
    }
    List<ClientShard> shards = new ArrayList<>(byKey.size());
    for (Map.Entry<Integer, List<RowBlock.ClientChunk>> entry : byKey.entrySet()) {
      shards.add(canonicalShard(entry.getValue().get(0).clientId(), entry.getKey(),
          entry.getValue(), featureSize, tasks, testBlocks));
    }
    return shards.iterator();
  }

  /**
   * One shard from a key's chunks, rows sorted by content (features, then labels, compared as
   * {@link Arrays#compare(float[], float[])} does), so the shard does not depend on read order.
   */
  private static ClientShard canonicalShard(String id, int key,
      List<RowBlock.ClientChunk> chunks, int featureSize, int tasks, boolean testBlock) {
    int rows = 0;
    for (RowBlock.ClientChunk chunk : chunks) {
      rows += chunk.labels()[0].length;
    }
    float[] features = new float[rows * featureSize];
    float[][] labels = new float[tasks][rows];
    int at = 0;
    for (RowBlock.ClientChunk chunk : chunks) {
      int count = chunk.labels()[0].length;
      System.arraycopy(chunk.features(), 0, features, at * featureSize, count * featureSize);
      for (int t = 0; t < tasks; t++) {
        System.arraycopy(chunk.labels()[t], 0, labels[t], at, count);
      }
      at += count;
    }
    Integer[] order = new Integer[rows];
    for (int r = 0; r < rows; r++) {
      order[r] = r;
    }
    Arrays.sort(order, (a, b) -> {
      int byFeatures = Arrays.compare(features, a * featureSize, (a + 1) * featureSize,
          features, b * featureSize, (b + 1) * featureSize);
      if (byFeatures != 0) {
        return byFeatures;
      }
      for (int t = 0; t < tasks; t++) {
        int byLabel = Float.compare(labels[t][a], labels[t][b]);
        if (byLabel != 0) {
          return byLabel;
        }
      }
      return 0;
    });
    float[] sortedFeatures = new float[features.length];
    float[][] sortedLabels = new float[tasks][rows];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(features, order[r] * featureSize, sortedFeatures, r * featureSize,
          featureSize);
      for (int t = 0; t < tasks; t++) {
        sortedLabels[t][r] = labels[t][order[r]];
      }
    }
    return testBlock ? ClientShard.testBlock(key, featureSize, sortedFeatures, sortedLabels)
        : new ClientShard(id, key, featureSize, sortedFeatures, sortedLabels);
  }

  private void requireColumn(Dataset<Row> raw, String column, String where, String role) {
    if (Arrays.asList(raw.columns()).contains(column)) {
      return;
    }
    String[] columns = raw.columns();
    if (spec.format().equals("csv") && columns.length > 0 && columns[0].startsWith("PAR1")) {
      throw new InvalidInputException(where + ": this is Parquet, not CSV (set data.format = "
          + "parquet)");
    }
    if (columns.length == 0) {
      throw new InvalidInputException(where + ": the data has no columns (an empty file?)");
    }
    List<String> shown = new ArrayList<>();
    for (int c = 0; c < Math.min(columns.length, 20); c++) {
      shown.add(columns[c].length() > 40 ? columns[c].substring(0, 40) + "..." : columns[c]);
    }
    throw new InvalidInputException(where + ": no column '" + column + "', " + role
        + "; the data has " + String.join(", ", shown)
        + (columns.length > 20 ? " and " + (columns.length - 20) + " more" : ""));
  }

  private static void requireNumeric(Dataset<Row> raw, String column, String where, String role) {
    StructField field = raw.schema().apply(column);
    if (!(field.dataType() instanceof NumericType)) {
      throw new InvalidInputException(where + ": column '" + column + "' (" + role + ") has type "
          + field.dataType().simpleString() + ", expected a number");
    }
  }

  private static String quoted(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  private static String rootMessage(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName()
        : root.getMessage();
    return message.lines().findFirst().orElse(message);
  }
}
