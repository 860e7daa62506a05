package org.fedmtl.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.fedmtl.Seeds;

/**
 * The seed experiment's data: two classification tasks over Gaussian features. Each row draws
 * features x ~ N(0, I), a class y1 uniform in 0..9 and a class y2 uniform in 0..4, then adds 2.0
 * to x[y1 mod d] and 1.0 to x[(y2 + 5) mod d]. A client's rows come from the stream
 * (seed, "synthetic-client", client) alone, so they change with the seed and with nothing else;
 * the test set comes from its own streams.
 *
 * <p>Generation is a Spark job over client ranges, so large client counts need no driver memory.
 */
public final class SyntheticData {
  static final int TASK1_CLASSES = 10;
  static final int TASK2_CLASSES = 5;
  private static final int TEST_CHUNK_ROWS = 1000;

  /**
   * @param clients number of clients
   * @param rowsPerClient rows each client holds
   * @param testRows rows of the held-out test set
   * @param features features per row
   * @param seed the data seed
   */
  public record Spec(int clients, int rowsPerClient, int testRows, int features, long seed)
      implements java.io.Serializable {}

  private SyntheticData() {}

  public static StructType schema(boolean withClient) {
    StructType schema = new StructType();
    if (withClient) {
      schema = schema.add("client_id", DataTypes.IntegerType, false);
    }
    return schema.add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
        .add("y1", DataTypes.IntegerType, false)
        .add("y2", DataTypes.IntegerType, false);
  }

  /** Writes the training data (with {@code client_id}) and the test data as Parquet. */
  public static void generate(SparkSession spark, Spec spec, String trainPath, String testPath) {
    JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slices = Math.max(1, Math.min(spec.clients(), context.defaultParallelism() * 4));
    JavaRDD<Row> train = context
        .parallelize(IntStream.range(0, spec.clients()).boxed().toList(), slices)
        .flatMap(client -> clientRows(spec, client).iterator());
    GeneratedData.writeParquet(spark, spark.createDataFrame(train, schema(true)), trainPath);

    int chunks = (spec.testRows() + TEST_CHUNK_ROWS - 1) / TEST_CHUNK_ROWS;
    JavaRDD<Row> test = context
        .parallelize(IntStream.range(0, chunks).boxed().toList(), Math.max(1, Math.min(chunks, 8)))
        .flatMap(chunk -> testRows(spec, chunk).iterator());
    GeneratedData.writeParquet(spark, spark.createDataFrame(test, schema(false)), testPath);
  }

  static List<Row> clientRows(Spec spec, int client) {
    SplittableRandom random =
        new SplittableRandom(Seeds.derive(spec.seed(), "synthetic-client", client));
    List<Row> rows = new ArrayList<>(spec.rowsPerClient());
    for (int r = 0; r < spec.rowsPerClient(); r++) {
      Object[] example = example(random, spec.features());
      rows.add(RowFactory.create(client, example[0], example[1], example[2]));
    }
    return rows;
  }

  static List<Row> testRows(Spec spec, int chunk) {
    SplittableRandom random =
        new SplittableRandom(Seeds.derive(spec.seed(), "synthetic-test", chunk));
    int count = Math.min(TEST_CHUNK_ROWS, spec.testRows() - chunk * TEST_CHUNK_ROWS);
    List<Row> rows = new ArrayList<>(count);
    for (int r = 0; r < count; r++) {
      Object[] example = example(random, spec.features());
      rows.add(RowFactory.create(example));
    }
    return rows;
  }

  private static Object[] example(SplittableRandom random, int featureCount) {
    float[] features = new float[featureCount];
    for (int f = 0; f < featureCount; f++) {
      features[f] = (float) random.nextGaussian();
    }
    int y1 = random.nextInt(TASK1_CLASSES);
    int y2 = random.nextInt(TASK2_CLASSES);
    features[y1 % featureCount] += 2.0f;
    features[(y2 + 5) % featureCount] += 1.0f;
    return new Object[] {features, y1, y2};
  }
}
