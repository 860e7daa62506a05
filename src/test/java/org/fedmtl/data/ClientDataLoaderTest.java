package org.fedmtl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.MapOutputTrackerMaster;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.SparkEnv;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.fedmtl.InvalidInputException;
import org.fedmtl.SparkTests;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading, validating and partitioning client data. */
class ClientDataLoaderTest {
  private static final List<TaskSpec> TASKS = List.of(
      new TaskSpec("kind", TaskType.CLASSIFICATION, 3, "kind", 1),
      new TaskSpec("price", TaskType.REGRESSION, 1, "price", 1));
  private static final StructType SCHEMA = new StructType()
      .add("client_id", DataTypes.StringType)
      .add("features", DataTypes.createArrayType(DataTypes.FloatType))
      .add("kind", DataTypes.IntegerType)
      .add("price", DataTypes.DoubleType);

  @TempDir
  static Path folder;
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTests.session("local[2]");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void buildsOneShardPerClientInCanonicalOrder() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      rows.add(RowFactory.create("c" + (i % 3), new float[] {30 - i, i},
          i % 4 == 0 ? null : i % 3, i * 1.5));
    }
    String path = write("good", rows, SCHEMA);

    ClientData data = loader(path, 2).loadTraining();

    assertEquals(List.of("c0", "c1", "c2"), data.clientIds());
    assertEquals(30, data.rows());
    assertEquals(2, data.partitions());
    List<ClientShard> shards = new ArrayList<>(data.shards().collect());
    shards.sort((a, b) -> Integer.compare(a.index(), b.index()));
    assertEquals(List.of(10, 10, 10), shards.stream().map(ClientShard::rows).toList());
    assertArrayEquals(new int[] {10, 10, 10}, data.clientRows());
    ClientShard first = shards.get(0);
    assertEquals("c0", first.clientId());
    for (int r = 1; r < first.rows(); r++) {
      assertTrue(first.features()[2 * (r - 1)] <= first.features()[2 * r], "sorted by content");
    }
    long missing = Arrays.stream(shards.toArray(ClientShard[]::new))
        .mapToLong(s -> s.rows() - s.labelledRows(0)).sum();
    assertEquals(8, missing, "null labels become missing labels");
    assertEquals(0, data.partitionOf(2));
    List<Integer> partitionOfEach = data.shards().mapPartitionsWithIndex((p, it) -> {
      List<Integer> found = new ArrayList<>();
      it.forEachRemaining(s -> found.add(s.index() % 2 == p ? 1 : 0));
      return found.iterator();
    }, false).collect();
    assertTrue(partitionOfEach.stream().allMatch(ok -> ok == 1), "client i in partition i % 2");
  }

  @Test
  void idsOfEqualNumericValueLoadAsDistinctClients() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      rows.add(row(i % 2 == 0 ? "-7" : "-07", new float[] {i, 1}, i % 3, 1.0));
    }
    ClientData data = loader(write("negative-ids", rows, SCHEMA), 0).loadTraining();
    assertEquals(List.of("-07", "-7"), data.clientIds());
    assertEquals(6, data.shards().map(ClientShard::rows).reduce(Integer::sum));
  }

  @Test
  void csvClientIdsAreTextSoLeadingZerosStayDistinct() throws Exception {
    Path csv = folder.resolve("zeros.csv");
    Files.writeString(csv, "client_id,x1,x2,kind,price\n01,0.5,1.5,2,1\n01,1,2,0,1\n"
        + "1,3,4,1,1\n1,5,6,1,1\n");
    assertEquals(List.of("01", "1"),
        csvLoader(csv).loadTraining().clientIds());
  }

  @Test
  void csvLabelColumnsWithoutAnyValueAreLabelsNoRowHas() throws Exception {
    Path csv = folder.resolve("no-prices.csv");
    Files.writeString(csv, "client_id,x1,x2,kind,price\na,0.5,1.5,2,\na,1,2,0,\nb,3,4,1,\n");
    ClientData data = csvLoader(csv).loadTraining();
    assertEquals(3, data.rows());
    assertTrue(data.shards().collect().stream().allMatch(s -> s.labelledRows(1) == 0));

    Path header = folder.resolve("header-only.csv");
    Files.writeString(header, "client_id,x1,x2,kind,price\n");
    assertMessage(() -> csvLoader(header).loadTraining(), "the dataset has no rows");
  }

  @Test
  void parquetReadAsCsvIsNamed() {
    String path = write("parquet-as-csv", List.of(row("a", new float[] {1, 2}, 1, 1.0)), SCHEMA);
    assertMessage(() -> csvLoader(Path.of(path)).loadTraining(),
        "this is Parquet, not CSV (set data.format = parquet)");
  }

  @Test
  void lostShardsAreRebuiltFromTheShuffle() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      rows.add(row("c" + (i % 4), new float[] {i, -i}, i % 3, 1.0));
    }
    ClientData data = loader(write("recompute", rows, SCHEMA), 2).loadTraining();
    RDD<?> shuffled = data.shards().rdd().dependencies().head().rdd();
    int shuffle = ((ShuffleDependency<?, ?, ?>) shuffled.dependencies().head()).shuffleId();

    // What losing an executor with its cached shards and shuffle files leaves.
    data.shards().unpersist(true);
    ((MapOutputTrackerMaster) SparkEnv.get().mapOutputTracker())
        .unregisterAllMapAndMergeOutput(shuffle);

    assertEquals(4L, data.shards().count());
  }

  @Test
  void aFileThatFailsInTheScanIsInvalidInput() throws Exception {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      rows.add(row("c" + (i % 4), new float[] {i, -i}, i % 3, 1.0));
    }
    String path = write("truncated-second", rows, SCHEMA, 2);
    List<Path> parquet;
    try (Stream<Path> files = Files.list(Path.of(path))) {
      parquet = files.filter(f -> f.toString().endsWith(".parquet")).sorted().toList();
    }
    try (Stream<Path> files = Files.list(Path.of(path))) {
      for (Path checksum : files.filter(f -> f.toString().endsWith(".crc")).toList()) {
        Files.delete(checksum);
      }
    }
    // Spark reads the schema from one file; the other fails only when the scan reaches it.
    Path last = parquet.get(parquet.size() - 1);
    byte[] bytes = Files.readAllBytes(last);
    Files.write(last, Arrays.copyOf(bytes, bytes.length / 2));

    assertMessage(() -> loader(path, 0).loadTraining(),
        "data.train (" + path + "): cannot read the data: ");
  }

  @Test
  void numericClientIdsSortNumerically() {
    List<String> ids = new ArrayList<>(List.of("10", "2", "b", "1", "a", "-3"));
    ids.sort(ClientDataLoader.CLIENT_ORDER);
    assertEquals(List.of("-3", "1", "2", "10", "a", "b"), ids);
  }

  @Test
  void identifiersOfEqualValueStayDistinctClients() {
    List<String> ids = new ArrayList<>(List.of("7", "-0", "007", "0", "0009", "-01", "-1", "1e3"));
    ids.sort(ClientDataLoader.CLIENT_ORDER);
    assertEquals(List.of("-01", "-1", "-0", "0", "007", "7", "0009", "1e3"), ids);
    TreeMap<String, Integer> clients = new TreeMap<>(ClientDataLoader.CLIENT_ORDER);
    ids.forEach(id -> clients.put(id, 1));
    assertEquals(ids.size(), clients.size(), "no two identifiers merged into one client");
  }

  @Test
  void missingPathNamesKeyAndPath() {
    assertMessage(() -> loader(folder.resolve("nothing").toString(), 0).loadTraining(),
        "data.train: " + folder.resolve("nothing") + " does not exist");
  }

  @Test
  void missingColumnNamesColumnAndWhatTheDataHas() {
    StructType noPrice = new StructType().add("client_id", DataTypes.StringType)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType))
        .add("kind", DataTypes.IntegerType);
    String path = write("no-price", List.of(RowFactory.create("a", new float[] {1, 2}, 1)),
        noPrice);
    assertMessage(() -> loader(path, 0).loadTraining(),
        "no column 'price', the label column of task 'price'; the data has client_id, features,"
            + " kind");
  }

  @Test
  void wrongFeatureLength() {
    String path = write("short", List.of(row("a", new float[] {1, 2}, 1, 1.0),
        row("b", new float[] {1}, 1, 1.0)), SCHEMA);
    assertMessage(() -> loader(path, 0).loadTraining(),
        "1 row has a number of features other than 2 in column 'features' (first: client b in ");
  }

  @Test
  void testDataProblemsNameTheFileNotAClient() {
    String path = write("test-nan", List.of(row(null, new float[] {1, 2}, 1, 1.0),
        row(null, new float[] {Float.NaN, 2}, 1, 1.0)), SCHEMA);
    assertMessage(() -> loader(path, 0).loadTest(), "data.test (" + path + "): 1 row has a "
        + "missing, NaN or infinite feature in column 'features' (first: a row in " + path
        + "/part-");
  }

  @Test
  void rowsAreLocatedByLocalPathOrByTheirUri() {
    assertEquals("/tmp/a b/part-0.parquet",
        ExampleChecks.localPath("file:///tmp/a%20b/part-0.parquet"));
    assertEquals("hdfs://namenode/data/part-0.parquet",
        ExampleChecks.localPath("hdfs://namenode/data/part-0.parquet"));
  }

  @Test
  void nanAndInfiniteFeatures() {
    String path = write("nan", List.of(row("a", new float[] {Float.NaN, 2}, 1, 1.0),
        row("b", new float[] {1, Float.NEGATIVE_INFINITY}, 1, 1.0)), SCHEMA);
    assertMessage(() -> loader(path, 0).loadTraining(),
        "2 rows have a missing, NaN or infinite feature in column 'features'");
  }

  @Test
  void classLabelOutOfRange() {
    String path = write("range", List.of(row("a", new float[] {1, 2}, 3, 1.0),
        row("a", new float[] {1, 2}, -1, 1.0)), SCHEMA);
    assertMessage(() -> loader(path, 0).loadTraining(),
        "2 rows have a label that is not a class index (a whole number from 0 to 2) in column "
            + "'kind' (task 'kind')");
  }

  @Test
  void fractionalClassLabel() {
    StructType doubleKind = new StructType().add("client_id", DataTypes.StringType)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType))
        .add("kind", DataTypes.DoubleType).add("price", DataTypes.DoubleType);
    String path = write("fraction", List.of(RowFactory.create("a", new float[] {1, 2}, 1.5, 1.0)),
        doubleKind);
    assertMessage(() -> loader(path, 0).loadTraining(),
        "1 row has a label that is not a class index (a whole number from 0 to 2)");
  }

  @Test
  void labelOfTheWrongType() {
    StructType textKind = new StructType().add("client_id", DataTypes.StringType)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType))
        .add("kind", DataTypes.StringType).add("price", DataTypes.DoubleType);
    String path = write("text", List.of(RowFactory.create("a", new float[] {1, 2}, "cat", 1.0)),
        textKind);
    assertMessage(() -> loader(path, 0).loadTraining(),
        "column 'kind' (the label of task 'kind') has type string, expected a number");
  }

  @Test
  void nonFiniteRegressionTarget() {
    String path = write("target", List.of(row("a", new float[] {1, 2}, 1, Double.NaN),
        row("a", new float[] {1, 2}, 1, 1e300), row("a", new float[] {1, 2}, 1, 3.0)), SCHEMA);
    assertMessage(() -> loader(path, 0).loadTraining(), "2 rows have a NaN or infinite target "
        + "(or one beyond the float range) in column 'price' (task 'price')");
  }

  @Test
  void missingClientId() {
    String path = write("noclient", List.of(row(null, new float[] {1, 2}, 1, 1.0)), SCHEMA);
    assertMessage(() -> loader(path, 0).loadTraining(),
        "1 row has no client id in column 'client_id'");
  }

  @Test
  void emptyDataset() {
    String path = write("empty", List.of(), SCHEMA);
    assertMessage(() -> loader(path, 0).loadTraining(), "the dataset has no rows");
  }

  @Test
  void truncatedParquetFile() throws Exception {
    for (boolean withChecksums : new boolean[] {true, false}) {
      String path = write("truncated-" + withChecksums,
          List.of(row("a", new float[] {1, 2}, 1, 1.0)), SCHEMA);
      try (var files = Files.list(Path.of(path))) {
        for (Path file : files.toList()) {
          String name = file.getFileName().toString();
          if (name.endsWith(".parquet")) {
            byte[] bytes = Files.readAllBytes(file);
            Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));
          } else if (name.endsWith(".crc") && !withChecksums) {
            Files.delete(file);
          }
        }
      }
      assertMessage(() -> loader(path, 0).loadTraining(), "data.train");
      assertMessage(() -> loader(path, 0).loadTraining(), "cannot read");
      assertMessage(() -> loader(path, 0).loadTraining(), path);
    }
  }

  @Test
  void csvWithNamedFeatureColumns() throws Exception {
    Path csv = folder.resolve("clients.csv");
    Files.writeString(csv, "client_id,x1,x2,kind,price\n1,0.5,1.5,2,3.0\n1,1,2,0,\n2,3,4,1,1\n");
    ClientData data = csvLoader(csv).loadTraining();
    assertEquals(List.of("1", "2"), data.clientIds());
    assertEquals(3, data.rows());
  }

  @Test
  void csvReadAsParquetSaysWhatToSet() throws Exception {
    Path csv = folder.resolve("plain.csv");
    Files.writeString(csv, "client_id,x1,x2,kind,price\n1,0.5,1.5,2,3.0\n");
    assertMessage(() -> loader(csv.toString(), 0).loadTraining(),
        "(for CSV files set data.format = csv)");
  }

  @Test
  void testBlocksDoNotDependOnReadPartitioning() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      rows.add(row("t", new float[] {i, -i}, i % 3, (double) i));
    }
    String one = write("test-one", rows, SCHEMA, 1);
    String many = write("test-many", rows, SCHEMA, 7);

    List<String> first = blockContents(loader(one, 0).loadTest());
    List<String> second = blockContents(loader(many, 0).loadTest());

    assertEquals(3, first.size());
    assertEquals(first, second);
  }

  @Test
  void clientShardsDoNotDependOnHowTheFilesSplitEachClient() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      rows.add(row("c" + (i * 7 % 13), new float[] {i % 17, -i}, i % 5 == 0 ? null : i % 3,
          (double) i));
    }
    String one = write("clients-one", rows, SCHEMA, 1);
    String many = write("clients-many", rows, SCHEMA, 6);

    ClientData first = loader(one, 4).loadTraining();
    ClientData second = loader(many, 4).loadTraining();

    assertEquals(first.clientIds(), second.clientIds());
    assertEquals(13, first.clientIds().size());
    assertEquals(3_000, second.rows());
    assertArrayEquals(first.clientRows(), second.clientRows(), "rows per client, however split");
    assertEquals(3_000, Arrays.stream(second.clientRows()).sum());
    assertEquals(blockContents(first), blockContents(second));
    assertEquals(labelContents(first), labelContents(second));
  }

  private static List<String> labelContents(ClientData clients) {
    List<ClientShard> shards = new ArrayList<>(clients.shards().collect());
    shards.sort((a, b) -> Integer.compare(a.index(), b.index()));
    return shards.stream().map(s -> s.clientId() + ":" + s.rows() + ":"
        + Arrays.hashCode(s.labels(0)) + ":" + Arrays.hashCode(s.labels(1))).toList();
  }

  private static List<String> blockContents(ClientData blocks) {
    List<ClientShard> shards = new ArrayList<>(blocks.shards().collect());
    shards.sort((a, b) -> Integer.compare(a.index(), b.index()));
    return shards.stream().map(s -> s.index() + ":" + Arrays.hashCode(s.features())).toList();
  }

  private static Row row(String client, float[] features, Integer kind, Double price) {
    return RowFactory.create(client, features, kind, price);
  }

  private static String write(String name, List<Row> rows, StructType schema) {
    return write(name, rows, schema, 1);
  }

  private static String write(String name, List<Row> rows, StructType schema, int files) {
    Dataset<Row> frame = spark.createDataFrame(rows, schema).repartition(files);
    String path = folder.resolve(name).toString();
    frame.write().parquet(path);
    return path;
  }

  private static ClientDataLoader loader(String path, int partitions) {
    DataSpec spec = new DataSpec(path, path, "parquet", "client_id", "features", List.of(), 2,
        partitions);
    return new ClientDataLoader(spark, spec, TASKS);
  }

  /** A loader of {@code csv} with the feature columns x1 and x2. */
  private static ClientDataLoader csvLoader(Path csv) {
    return new ClientDataLoader(spark, new DataSpec(csv.toString(), csv.toString(), "csv",
        "client_id", "", List.of("x1", "x2"), 2, 0), TASKS);
  }

  private static void assertMessage(Runnable action, String expected) {
    InvalidInputException error = assertThrows(InvalidInputException.class, action::run);
    assertTrue(error.getMessage().contains(expected),
        () -> "message '" + error.getMessage() + "' lacks '" + expected + "'");
  }
}
