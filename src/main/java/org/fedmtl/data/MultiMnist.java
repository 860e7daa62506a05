package org.fedmtl.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.commons.math3.distribution.GammaDistribution;
import org.apache.commons.math3.random.Well19937c;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.fedmtl.InvalidInputException;
import org.fedmtl.Seeds;

/**
 * MultiMNIST, the two-digit benchmark of multi-task learning (Sabour, Frosst and Hinton, "Dynamic
 * routing between capsules", NeurIPS 2017; used as a multi-task benchmark by Sener and Koltun,
 * "Multi-task learning as multi-objective optimization", NeurIPS 2018). Each image overlays two
 * MNIST digits on a 36x36 canvas, the left digit at offset (0, 0) and the right one at (8, 8),
 * combined by pixel maximum and resized bilinearly to 28x28; task {@code left} is the first digit,
 * task {@code right} the second. Training images pair each MNIST training digit with a random
 * other training digit; test images do the same within the MNIST test digits.
 *
 * <p>Clients get the training images either IID (a random equal split) or non-IID: for every left
 * digit class, client shares are drawn from a symmetric Dirichlet distribution with concentration
 * alpha (Hsu, Qi and Brown, "Measuring the effects of non-identical data distribution for federated
 * visual classification", 2019); a smaller alpha gives more skewed clients.
 */
public final class MultiMnist {
  static final int CANVAS = 36;
  static final int OFFSET = 8;
  private static final int PIXELS = MnistFiles.SIDE * MnistFiles.SIDE;

  /**
   * @param clients number of clients the training images are split over
   * @param mnistDir folder holding the MNIST IDX files
   * @param split {@code iid} or {@code dirichlet}
   * @param dirichletAlpha the Dirichlet concentration for {@code dirichlet}
   * @param seed the data seed
   */
  public record Spec(int clients, String mnistDir, String split, double dirichletAlpha, long seed)
      implements java.io.Serializable {}

  private MultiMnist() {}

  public static StructType schema(boolean withClient) {
    StructType schema = new StructType();
    if (withClient) {
      schema = schema.add("client_id", DataTypes.IntegerType, false);
    }
    return schema.add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
        .add("left", DataTypes.IntegerType, false)
        .add("right", DataTypes.IntegerType, false);
  }

  /** Builds MultiMNIST from the MNIST files and writes training and test data as Parquet. */
  public static void generate(SparkSession spark, Spec spec, String trainPath, String testPath) {
    MnistFiles.Split mnistTrain = MnistFiles.read(Path.of(spec.mnistDir()), "train");
    MnistFiles.Split mnistTest = MnistFiles.read(Path.of(spec.mnistDir()), "t10k");
    if (spec.clients() > mnistTrain.count()) {
      throw new InvalidInputException("data.multimnist.clients: " + spec.clients()
          + " clients but only " + mnistTrain.count() + " training images");
    }

    int[] trainPartner = partners(mnistTrain.count(), Seeds.derive(spec.seed(), "pairs-train"));
    int[][] clientImages = spec.split().equals("dirichlet")
        ? dirichletSplit(mnistTrain.labels(), spec.clients(), spec.dirichletAlpha(), spec.seed())
        : iidSplit(mnistTrain.count(), spec.clients(), spec.seed());
    JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<MnistFiles.Split> digits = context.broadcast(mnistTrain);
    Broadcast<int[][]> assignment = context.broadcast(clientImages);
    JavaRDD<Row> train = context
        .parallelize(IntStream.range(0, spec.clients()).boxed().toList(),
            Math.min(spec.clients(), context.defaultParallelism() * 4))
        .flatMap(client -> {
          List<Row> rows = new ArrayList<>();
          for (int image : assignment.value()[client]) {
            rows.add(row(client, digits.value(), image, trainPartner[image]));
          }
          return rows.iterator();
        });
    GeneratedData.writeParquet(spark, spark.createDataFrame(train, schema(true)), trainPath);
    digits.destroy();
    assignment.destroy();

    int[] testPartner = partners(mnistTest.count(), Seeds.derive(spec.seed(), "pairs-test"));
    Broadcast<MnistFiles.Split> testDigits = context.broadcast(mnistTest);
    int testSlices = 8;
    JavaRDD<Row> test = context.parallelize(IntStream.range(0, testSlices).boxed().toList(),
        testSlices).flatMap(slice -> {
          List<Row> rows = new ArrayList<>();
          for (int image = slice; image < testDigits.value().count(); image += testSlices) {
            rows.add(row(-1, testDigits.value(), image, testPartner[image]));
          }
          return rows.iterator();
        });
    GeneratedData.writeParquet(spark, spark.createDataFrame(test, schema(false)), testPath);
    testDigits.destroy();
  }

  private static Row row(int client, MnistFiles.Split digits, int left, int right) {
    float[] image = overlay(digits.pixels(), left, right);
    int leftLabel = digits.labels()[left];
    int rightLabel = digits.labels()[right];
    return client < 0 ? RowFactory.create(image, leftLabel, rightLabel)
        : RowFactory.create(client, image, leftLabel, rightLabel);
  }

  /** For every image, a different random image to pair it with. */
  static int[] partners(int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] partner = new int[count];
    for (int i = 0; i < count; i++) {
      int other = random.nextInt(count - 1);
      partner[i] = other >= i ? other + 1 : other;
    }
    return partner;
  }

  /** The 28x28 MultiMNIST image of MNIST images {@code left} and {@code right}, in [0, 1]. */
  static float[] overlay(byte[] pixels, int left, int right) {
    float[] canvas = new float[CANVAS * CANVAS];
    int side = MnistFiles.SIDE;
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        float a = (pixels[left * PIXELS + y * side + x] & 0xff) / 255f;
        float b = (pixels[right * PIXELS + y * side + x] & 0xff) / 255f;
        int topLeft = y * CANVAS + x;
        int bottomRight = (y + OFFSET) * CANVAS + x + OFFSET;
        canvas[topLeft] = Math.max(canvas[topLeft], a);
        canvas[bottomRight] = Math.max(canvas[bottomRight], b);
      }
    }
    return resizeBilinear(canvas, CANVAS, side);
  }

  /** Bilinear resize of a square image, sampling at pixel centres. */
  static float[] resizeBilinear(float[] source, int from, int to) {
    float[] target = new float[to * to];
    double scale = (double) from / to;
    for (int y = 0; y < to; y++) {
      double sy = Math.min(Math.max((y + 0.5) * scale - 0.5, 0), from - 1);
      int y0 = (int) sy;
      int y1 = Math.min(y0 + 1, from - 1);
      double fy = sy - y0;
      for (int x = 0; x < to; x++) {
        double sx = Math.min(Math.max((x + 0.5) * scale - 0.5, 0), from - 1);
        int x0 = (int) sx;
        int x1 = Math.min(x0 + 1, from - 1);
        double fx = sx - x0;
        double top = source[y0 * from + x0] * (1 - fx) + source[y0 * from + x1] * fx;
        double bottom = source[y1 * from + x0] * (1 - fx) + source[y1 * from + x1] * fx;
        target[y * to + x] = (float) (top * (1 - fy) + bottom * fy);
      }
    }
    return target;
  }

  /** A random split of {@code count} images into {@code clients} near-equal parts. */
  static int[][] iidSplit(int count, int clients, long seed) {
    int[] order = IntStream.range(0, count).toArray();
    shuffle(order, new SplittableRandom(Seeds.derive(seed, "iid-split")));
    int[][] parts = new int[clients][];
    for (int c = 0; c < clients; c++) {
      int from = (int) ((long) count * c / clients);
      int to = (int) ((long) count * (c + 1) / clients);
      parts[c] = Arrays.copyOfRange(order, from, to);
      Arrays.sort(parts[c]);
    }
    return parts;
  }

  /**
   * A label-skewed split: the images of each class are shuffled and cut among clients in
   * proportions drawn from Dirichlet(alpha, ..., alpha). Every client gets at least one image.
   */
  static int[][] dirichletSplit(byte[] labels, int clients, double alpha, long seed) {
    Well19937c generator = new Well19937c(Seeds.derive(seed, "dirichlet-split"));
    GammaDistribution gamma = new GammaDistribution(generator, alpha, 1.0);
    SplittableRandom random = new SplittableRandom(Seeds.derive(seed, "dirichlet-shuffle"));
    List<List<Integer>> parts = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      parts.add(new ArrayList<>());
    }
    for (int digit = 0; digit < 10; digit++) {
      final int d = digit;
      int[] members = IntStream.range(0, labels.length).filter(i -> labels[i] == d).toArray();
      shuffle(members, random);
      double[] shares = new double[clients];
      double total = 0;
      for (int c = 0; c < clients; c++) {
        shares[c] = gamma.sample();
        total += shares[c];
      }
      double cumulative = 0;
      int from = 0;
      for (int c = 0; c < clients; c++) {
        cumulative += shares[c] / total;
        int to = c == clients - 1 ? members.length : (int) Math.round(cumulative * members.length);
        for (int i = from; i < Math.max(from, to); i++) {
          parts.get(c).add(members[i]);
        }
        from = Math.max(from, to);
      }
    }
    giveEveryClientAnImage(parts);
    int[][] split = new int[clients][];
    for (int c = 0; c < clients; c++) {
      split[c] = parts.get(c).stream().mapToInt(Integer::intValue).sorted().toArray();
    }
    return split;
  }

  private static void giveEveryClientAnImage(List<List<Integer>> parts) {
    for (List<Integer> part : parts) {
      if (!part.isEmpty()) {
        continue;
      }
      List<Integer> largest = parts.stream().max((a, b) -> Integer.compare(a.size(), b.size()))
          .orElseThrow();
      part.add(largest.remove(largest.size() - 1));
    }
  }

  private static void shuffle(int[] values, SplittableRandom random) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = values[i];
      values[i] = values[j];
      values[j] = swap;
    }
  }
}
