package org.fedmtl.data;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

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
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;
import org.fedmtl.InvalidInputException;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;
import scala.Tuple2;

/**
 * Reads client data with Spark SQL, validates it before any training starts, and builds the
 * cached RDD of client shards.
 *
 * <p>Validation runs as one aggregation over the data and stops at the first kind of problem it
 * finds, naming the file, the column, how many rows have it and the first client that does.
 */
public final class ClientDataLoader {
  /** Most partitions used when the configuration leaves the count to the loader. */
  static final int AUTOMATIC_PARTITION_LIMIT = 1024;
  /** Rows per evaluation block: the unit whose metrics are merged in a fixed order. */
  static final int EVALUATION_BLOCK_ROWS = 8192;

  private static final String CLIENT = "__client";
  private static final String FEATURES = "__features";
  private static final String LABELS = "__labels";
  private static final String FILE = "__file";

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
    Dataset<Row> annotated = annotate(raw, col(quoted(spec.clientColumn())).cast("string"));
    long rows = validate(annotated, "data.train", spec.train());

    List<String> clientIds = sortedClientIds(annotated);
    int partitions = spec.partitions() > 0
        ? Math.min(spec.partitions(), clientIds.size())
        : Math.min(clientIds.size(), AUTOMATIC_PARTITION_LIMIT);
    Map<String, Integer> indexByClient = new HashMap<>();
    for (int i = 0; i < clientIds.size(); i++) {
      indexByClient.put(clientIds.get(i), i);
    }
    JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<Map<String, Integer>> index = context.broadcast(indexByClient);

    JavaRDD<ClientShard> shards = cachedShards(examples(annotated).javaRDD()
        .mapToPair(example -> {
          int clientIndex = index.value().get(example.getClient());
          return new Tuple2<>(clientIndex % partitions, new Tuple2<>(clientIndex, example));
        }), partitions, "client shards");
    index.unpersist();
    return new ClientData(shards, clientIds, partitions, rows);
  }

  /**
   * Loads and validates the test data as evaluation blocks: each row goes to a block chosen by a
   * hash of its content, so blocks (and the order their metrics are merged in) do not depend on
   * how Spark split the files.
   */
  public ClientData loadTest() {
    Dataset<Row> raw = read(spec.test(), "data.test", false);
    Dataset<Row> annotated = annotate(raw, lit("test"));
    long rows = validate(annotated, "data.test", spec.test());

    int blocks = (int) Math.max(1, (rows + EVALUATION_BLOCK_ROWS - 1) / EVALUATION_BLOCK_ROWS);
    int partitions = Math.min(blocks, spark.sparkContext().defaultParallelism());
    List<String> blockIds = new ArrayList<>();
    for (int b = 0; b < blocks; b++) {
      blockIds.add("block-" + b);
    }
    JavaRDD<ClientShard> shards = cachedShards(examples(annotated).javaRDD()
        .mapToPair(example -> {
          int hash = 31 * Arrays.hashCode(example.getFeatures())
              + Arrays.hashCode(example.getLabels());
          int block = Math.floorMod(hash, blocks);
          example.setClient("block-" + block);
          return new Tuple2<>(block % partitions, new Tuple2<>(block, example));
        }), partitions, "test blocks");
    return new ClientData(shards, blockIds, partitions, rows);
  }

  /**
   * Moves each example to the partition its key names, builds one shard per (client or block)
   * index there, and caches and materialises the result.
   */
  private JavaRDD<ClientShard> cachedShards(
      JavaPairRDD<Integer, Tuple2<Integer, ExampleRow>> keyed, int partitions, String name) {
    int featureSize = spec.featureSize();
    int taskCount = tasks.size();
    JavaRDD<ClientShard> shards = keyed.partitionBy(new ExactPartitioner(partitions))
        .mapPartitions(rows -> buildShards(rows, featureSize, taskCount), true)
        .setName(name)
        .persist(StorageLevel.MEMORY_ONLY());
    shards.count();
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
        case "csv" -> spark.read().option("header", "true").option("inferSchema", "true")
            .csv(path);
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
    return raw.withColumn(FILE, input_file_name());
  }

  /** Adds the client, features (array of float) and labels (NaN: none) columns to the raw data. */
  private Dataset<Row> annotate(Dataset<Row> raw, Column client) {
    Column features = spec.featuresColumn().isEmpty()
        ? array(spec.featureColumns().stream().map(c -> col(quoted(c)).cast("float"))
            .toArray(Column[]::new))
        : col(quoted(spec.featuresColumn())).cast("array<float>");
    Column labels = array(tasks.stream()
        .map(task -> coalesce(col(quoted(task.labelColumn())).cast("float"), lit(Float.NaN)))
        .toArray(Column[]::new));
    return raw.withColumn(CLIENT, client).withColumn(FEATURES, features)
        .withColumn(LABELS, labels);
  }

  private static Dataset<ExampleRow> examples(Dataset<Row> annotated) {
    return annotated.select(col(CLIENT).as("client"), col(FEATURES).as("features"),
        col(LABELS).as("labels")).as(Encoders.bean(ExampleRow.class));
  }

  /** Runs every check in one pass; returns the row count. */
  private long validate(Dataset<Row> annotated, String key, String path) {
    String where = key + " (" + path + ")";
    List<Check> checks = new ArrayList<>();
    checks.add(new Check(col(CLIENT).isNull(), "rows have no client id in column '"
        + spec.clientColumn() + "'"));
    String featureName = spec.featuresColumn().isEmpty()
        ? "the feature columns " + spec.featureColumns() : "column '" + spec.featuresColumn() + "'";
    checks.add(new Check(col(FEATURES).isNull()
        .or(expr("size(" + FEATURES + ") <> " + spec.featureSize())),
        "rows do not have " + spec.featureSize() + " features in " + featureName));
    checks.add(new Check(expr("exists(" + FEATURES + ", x -> x IS NULL OR isnan(x) "
        + "OR abs(x) = float('infinity'))"),
        "rows have a missing, NaN or infinite feature in " + featureName));
    for (int t = 0; t < tasks.size(); t++) {
      TaskSpec task = tasks.get(t);
      Column rawLabel = col(quoted(task.labelColumn())).cast("double");
      String label = "column '" + task.labelColumn() + "' (task '" + task.name() + "')";
      if (task.type() == TaskType.CLASSIFICATION) {
        checks.add(new Check(rawLabel.isNotNull().and(rawLabel.lt(0)
            .or(rawLabel.geq(task.classes())).or(rawLabel.notEqual(expr("floor(" + quoted(
                task.labelColumn()) + ")"))).or(expr("isnan(" + quoted(task.labelColumn())
                    + ")"))),
            "rows have a label outside the classes 0.." + (task.classes() - 1) + " in " + label));
      } else {
        checks.add(new Check(rawLabel.isNotNull().and(expr("isnan(" + quoted(task.labelColumn())
            + ") OR abs(" + quoted(task.labelColumn()) + ") = double('infinity')")),
            "rows have a NaN or infinite target in " + label));
      }
    }

    List<Column> aggregates = new ArrayList<>();
    aggregates.add(sum(lit(1L)));
    for (Check check : checks) {
      aggregates.add(sum(when(check.condition(), 1L).otherwise(0L)));
      Column example = expr("concat('client ', coalesce(" + CLIENT + ", 'null'), ' in ', "
          + FILE + ")");
      aggregates.add(first(when(check.condition(), example), true));
    }
    Row result;
    try {
      result = annotated.agg(aggregates.get(0), aggregates.subList(1, aggregates.size())
          .toArray(Column[]::new)).first();
    } catch (Exception e) {
      throw new InvalidInputException(where + ": cannot read the data: " + rootMessage(e), e);
    }
    long rows = result.isNullAt(0) ? 0 : result.getLong(0);
    if (rows == 0) {
      throw new InvalidInputException(where + ": the dataset has no rows");
    }
    for (int c = 0; c < checks.size(); c++) {
      long bad = result.isNullAt(1 + 2 * c) ? 0 : result.getLong(1 + 2 * c);
      if (bad > 0) {
        throw new InvalidInputException(where + ": " + bad + " " + checks.get(c).problem()
            + " (first: " + result.getString(2 + 2 * c) + ")");
      }
    }
    return rows;
  }

  private static List<String> sortedClientIds(Dataset<Row> annotated) {
    List<String> ids = new ArrayList<>();
    for (Row row : annotated.select(CLIENT).distinct().collectAsList()) {
      ids.add(row.getString(0));
    }
    ids.sort(CLIENT_ORDER);
    return ids;
  }

  /** Numeric identifiers in numeric order, then the rest in string order. */
  static final Comparator<String> CLIENT_ORDER = (a, b) -> {
    boolean aNumeric = isInteger(a);
    boolean bNumeric = isInteger(b);
    if (aNumeric && bNumeric) {
      int byLength = Integer.compare(stripSign(a).length(), stripSign(b).length());
      if (a.startsWith("-") || b.startsWith("-")) {
        return Long.compare(Long.parseLong(a), Long.parseLong(b));
      }
      return byLength != 0 ? byLength : a.compareTo(b);
    }
    if (aNumeric != bNumeric) {
      return aNumeric ? -1 : 1;
    }
    return a.compareTo(b);
  };

  private static boolean isInteger(String text) {
    if (text.isEmpty() || text.length() > 18) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(Character.isDigit(c) || (i == 0 && c == '-' && text.length() > 1))) {
        return false;
      }
    }
    return true;
  }

  private static String stripSign(String text) {
    return text.startsWith("-") ? text.substring(1) : text;
  }

  private static Iterator<ClientShard> buildShards(
      Iterator<Tuple2<Integer, Tuple2<Integer, ExampleRow>>> keyed, int featureSize, int tasks) {
    Map<Integer, List<ExampleRow>> byClient = new TreeMap<>();
    while (keyed.hasNext()) {
      Tuple2<Integer, ExampleRow> indexed = keyed.next()._2();
      byClient.computeIfAbsent(indexed._1(), i -> new ArrayList<>()).add(indexed._2());
    }
    List<ClientShard> shards = new ArrayList<>(byClient.size());
    for (Map.Entry<Integer, List<ExampleRow>> entry : byClient.entrySet()) {
      List<ExampleRow> rows = entry.getValue();
      rows.sort(CANONICAL_ORDER);
      float[] features = new float[rows.size() * featureSize];
      float[][] labels = new float[tasks][rows.size()];
      for (int r = 0; r < rows.size(); r++) {
        System.arraycopy(rows.get(r).getFeatures(), 0, features, r * featureSize, featureSize);
        for (int t = 0; t < tasks; t++) {
          labels[t][r] = rows.get(r).getLabels()[t];
        }
      }
      shards.add(new ClientShard(rows.get(0).getClient(), entry.getKey(), featureSize, features,
          labels));
    }
    return shards.iterator();
  }

  /** Orders examples by content, so a shard's row order does not depend on read order. */
  private static final Comparator<ExampleRow> CANONICAL_ORDER = (a, b) -> {
    int byFeatures = Arrays.compare(a.getFeatures(), b.getFeatures());
    return byFeatures != 0 ? byFeatures : Arrays.compare(a.getLabels(), b.getLabels());
  };

  private static void requireColumn(Dataset<Row> raw, String column, String where, String role) {
    if (!Arrays.asList(raw.columns()).contains(column)) {
      throw new InvalidInputException(where + ": no column '" + column + "', " + role
          + "; the data has " + String.join(", ", raw.columns()));
    }
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

  private record Check(Column condition, String problem) {}
}
