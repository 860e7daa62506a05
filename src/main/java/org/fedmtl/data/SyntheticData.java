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
 * <p>For cross-device scale the client sizes can follow a truncated power law (few large
 * clients, many small ones) and each client's labels a Dirichlet draw of class proportions, the
 * usual way to make label skew (Hsu, Qi and Brown, 2019). Generation is a Spark job over client
 * ranges, so large client counts need no driver memory.
 */
public final class SyntheticData {
  static final int TASK1_CLASSES = 10;
  static final int TASK2_CLASSES = 5;
  private static final int TEST_CHUNK_ROWS = 1000;

  /**
   * @param clients number of clients
   * @param rowsPerClient rows each client holds; the fewest when {@code maxRowsPerClient} is
   *     larger
   * @param maxRowsPerClient the most rows a client holds; sizes between follow a power law
   * @param sizeExponent exponent a of the truncated Pareto distribution of client sizes
   * @param labelAlpha 0 for uniform labels; otherwise each client draws its own class
   *     proportions for each task from a symmetric Dirichlet distribution with this concentration
   * @param testRows rows of the held-out test set
   * @param features features per row
   * @param seed the data seed
   */
  public record Spec(int clients, int rowsPerClient, int maxRowsPerClient, double sizeExponent,
      double labelAlpha, int testRows, int features, long seed)
      implements java.io.Serializable {

    /** The seed experiment's data: every client the same size, uniform labels. */
    public static Spec uniform(int clients, int rowsPerClient, int testRows, int features,
        long seed) {
      return new Spec(clients, rowsPerClient, rowsPerClient, 1.5, 0, testRows, features, seed);
    }
  }

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
    int size = clientSize(spec, client);
    double[][] proportions = spec.labelAlpha() > 0 ? new double[][] {
        dirichlet(spec, client, TASK1_CLASSES, "task1"),
        dirichlet(spec, client, TASK2_CLASSES, "task2")} : null;
    List<Row> rows = new ArrayList<>(size);
    for (int r = 0; r < size; r++) {
      Object[] example = example(random, spec.features(), proportions);
      rows.add(RowFactory.create(client, example[0], example[1], example[2]));
    }
    return rows;
  }

  /**
   * Rows of {@code client}: {@code rowsPerClient}, or a draw from the Pareto distribution with
   * minimum {@code rowsPerClient} and exponent a, truncated at {@code maxRowsPerClient}, by
   * inverting its distribution function.
   */
  static int clientSize(Spec spec, int client) {
    if (spec.maxRowsPerClient() <= spec.rowsPerClient()) {
      return spec.rowsPerClient();
    }
    double u = new SplittableRandom(Seeds.derive(spec.seed(), "client-size", client))
        .nextDouble();
    double a = spec.sizeExponent();
    double lower = spec.rowsPerClient();
    double ratio = Math.pow(lower / spec.maxRowsPerClient(), a);
    double size = lower / Math.pow(1 - u * (1 - ratio), 1 / a);
    return (int) Math.min(spec.maxRowsPerClient(), Math.floor(size));
  }

  private static double[] dirichlet(Spec spec, int client, int classes, String task) {
    org.apache.commons.math3.distribution.GammaDistribution gamma =
        new org.apache.commons.math3.distribution.GammaDistribution(
            new org.apache.commons.math3.random.Well19937c(
                Seeds.derive(spec.seed(), "label-proportions-" + task, client)),
            spec.labelAlpha(), 1.0);
    double[] proportions = new double[classes];
    double total = 0;
    for (int c = 0; c < classes; c++) {
      proportions[c] = gamma.sample();
      total += proportions[c];
    }
    for (int c = 0; c < classes; c++) {
      proportions[c] = total > 0 ? proportions[c] / total : 1.0 / classes;
    }
    return proportions;
  }

  private static int draw(SplittableRandom random, double[] proportions) {
    double u = random.nextDouble();
    for (int c = 0; c < proportions.length - 1; c++) {
      u -= proportions[c];
      if (u < 0) {
        return c;
      }
    }
    return proportions.length - 1;
  }

  static List<Row> testRows(Spec spec, int chunk) {
    SplittableRandom random =
        new SplittableRandom(Seeds.derive(spec.seed(), "synthetic-test", chunk));
    int count = Math.min(TEST_CHUNK_ROWS, spec.testRows() - chunk * TEST_CHUNK_ROWS);
    List<Row> rows = new ArrayList<>(count);
    for (int r = 0; r < count; r++) {
      Object[] example = example(random, spec.features(), null);
      rows.add(RowFactory.create(example));
    }
    return rows;
  }

  /** One row: features first, then the labels (uniform, or from per-task proportions). */
  private static Object[] example(SplittableRandom random, int featureCount,
      double[][] proportions) {
    float[] features = new float[featureCount];
    for (int f = 0; f < featureCount; f++) {
      features[f] = (float) random.nextGaussian();
    }
    int y1 = proportions == null ? random.nextInt(TASK1_CLASSES) : draw(random, proportions[0]);
    int y2 = proportions == null ? random.nextInt(TASK2_CLASSES) : draw(random, proportions[1]);
    features[y1 % featureCount] += 2.0f;
    features[(y2 + 5) % featureCount] += 1.0f;
    return new Object[] {features, y1, y2};
  }
}
