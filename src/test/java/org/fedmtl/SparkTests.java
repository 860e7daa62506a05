package org.fedmtl;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.fedmtl.job.ConfigLoader;
import org.fedmtl.job.ExperimentConfig;

/** Spark sessions and small experiments for the wiring tests. */
public final class SparkTests {
  private SparkTests() {}

  /** A session on {@code master} with the settings the job itself uses. */
  public static SparkSession session(String master) {
    return SparkSession.builder()
        .master(master)
        .appName("fedmtl-test")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.executorEnv.OMP_NUM_THREADS", "1")
        .getOrCreate();
  }

  /**
   * A session whose executors are separate JVMs ({@code local-cluster[2,1,1024]}), so closures
   * and shipped objects really go through serialization. Executors start from SPARK_HOME (an
   * empty jars folder under target/) with the test class path added.
   */
  public static SparkSession localCluster() throws IOException {
    Files.createDirectories(Path.of(System.getenv("SPARK_HOME"), "jars"));
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    return SparkSession.builder()
        .master("local-cluster[2,1,1024]")
        .appName("fedmtl-test-cluster")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.executor.extraClassPath", classPath)
        .config("spark.executor.extraJavaOptions", "-XX:+UseParallelGC"
            + " -Dorg.bytedeco.javacpp.cachedir=" + new File("target/javacpp").getAbsolutePath()
            + " -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0")
        .config("spark.executorEnv.OMP_NUM_THREADS", "1")
        .getOrCreate();
  }

  /** A small version of the default experiment with data and run folder under {@code root}. */
  public static ExperimentConfig smallExperiment(Path root, String run, String... extra) {
    List<String> overrides = new ArrayList<>(List.of(
        "rounds=4", "clients-per-round=4",
        "data.synthetic.clients=8", "data.synthetic.rows-per-client=150",
        "data.synthetic.test-rows=2000",
        "data.train=\"" + root.resolve("data/train") + "\"",
        "data.test=\"" + root.resolve("data/test") + "\"",
        "output.dir=\"" + root.resolve(run) + "\""));
    overrides.addAll(List.of(extra));
    return ConfigLoader.load(null, overrides);
  }

  /**
   * The columns of a history.csv that the seed determines: all but the wall time and the bytes
   * moved (which depend on the partitioning).
   */
  public static List<String> metricColumns(Path historyCsv) throws IOException {
    List<String> lines = Files.readAllLines(historyCsv);
    List<String> header = List.of(lines.get(0).split(",", -1));
    List<String> rows = new ArrayList<>();
    for (String line : lines) {
      String[] cells = line.split(",", -1);
      StringBuilder kept = new StringBuilder();
      for (int c = 0; c < cells.length; c++) {
        if (!header.get(c).equals("seconds") && !header.get(c).equals("bytes_moved")) {
          kept.append(cells[c]).append(',');
        }
      }
      rows.add(kept.toString());
    }
    return rows;
  }
}
