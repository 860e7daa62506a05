package org.fedmtl.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.fedmtl.SparkTests;
import org.fedmtl.job.ProcessRunner.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on 127.0.0.1, started from the Maven jars (a master and two
 * workers of one core each), and submit.sh submitting the default experiment to it: the run must
 * use both executors and give the history of the same run in local mode.
 */
class StandaloneClusterIT {
  private static final List<String> OPENS = List.of("java.lang", "java.lang.invoke",
      "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util", "java.util.concurrent",
      "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch", "sun.nio.cs",
      "sun.security.action", "sun.util.calendar");

  @TempDir
  Path folder;
  private final List<Process> daemons = new ArrayList<>();

  @AfterEach
  void stopCluster() throws InterruptedException {
    for (Process daemon : daemons) {
      daemon.destroy();
    }
    for (Process daemon : daemons) {
      if (!daemon.waitFor(20, TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
      }
    }
  }

  @Test
  void clusterRunUsesBothExecutorsAndMatchesLocalMode() throws Exception {
    Path sparkHome = sparkHome();
    int masterPort = freePort();
    int masterUiPort = freePort();
    String master = "spark://127.0.0.1:" + masterPort;
    Map<String, String> environment = Map.of("SPARK_HOME", sparkHome.toString(),
        "JAVA_HOME", System.getProperty("java.home"), "SPARK_SCALA_VERSION", "2.12",
        "SPARK_LOCAL_IP", "127.0.0.1", "SPARK_WORKER_DIR", folder.resolve("work").toString());
    daemons.add(daemon(environment, "master", "org.apache.spark.deploy.master.Master",
        "--host", "127.0.0.1", "--port", String.valueOf(masterPort),
        "--webui-port", String.valueOf(masterUiPort)));
    for (int w = 1; w <= 2; w++) {
      daemons.add(daemon(environment, "worker-" + w, "org.apache.spark.deploy.worker.Worker",
          "--host", "127.0.0.1", "--cores", "1", "--memory", "2g",
          "--webui-port", String.valueOf(freePort()), master));
    }
    awaitAliveWorkers(masterUiPort, 2);

    List<String> experiment = List.of("rounds=4", "data.synthetic.test-rows=2000",
        "data.train=" + folder.resolve("data/train"), "data.test=" + folder.resolve("data/test"));
    Result local = ProcessRunner.submit(folder,
        with(experiment, "output.dir=" + folder.resolve("local")));
    assertEquals(0, local.code(), local.output());
    Result cluster = ProcessRunner.submit(folder, with(List.of("--master", master),
        with(experiment, "output.dir=" + folder.resolve("cluster"))));
    assertEquals(0, cluster.code(), cluster.output());

    JsonNode summary = new ObjectMapper().readTree(
        folder.resolve("cluster/summary.json").toFile());
    Set<String> executors = new HashSet<>();
    summary.get("executors").forEach(id -> executors.add(id.asText()));
    assertEquals(2, executors.size(), "clients trained on both executors: " + executors);
    assertEquals(SparkTests.metricColumns(folder.resolve("local/history.csv")),
        SparkTests.metricColumns(folder.resolve("cluster/history.csv")));
  }

  /**
   * A SPARK_HOME whose jars/ links to the jars of Spark and its dependencies in the Maven
   * repository (the application's own jars reach the executors through spark.jars).
   */
  private Path sparkHome() throws IOException {
    Path home = folder.resolve("spark-home");
    Path jars = Files.createDirectories(home.resolve("jars"));
    for (String jar : Files.readString(Path.of("target/classpath-local.txt")).trim().split(":")) {
      Path link = jars.resolve(Path.of(jar).getFileName());
      if (!Files.exists(link)) {
        Files.createSymbolicLink(link, Path.of(jar));
      }
    }
    return home;
  }

  private Process daemon(Map<String, String> environment, String name, String mainClass,
      String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    OPENS.forEach(p -> command.add("--add-opens=java.base/" + p + "=ALL-UNNAMED"));
    command.addAll(List.of("-Xmx512m", "-cp",
        environment.get("SPARK_HOME") + "/jars/*", mainClass));
    command.addAll(List.of(args));
    return ProcessRunner.start(folder.resolve(name + ".log"), environment, command);
  }

  private void awaitAliveWorkers(int uiPort, int workers) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        JsonNode state = new ObjectMapper().readTree(
            URI.create("http://127.0.0.1:" + uiPort + "/json/").toURL());
        int alive = 0;
        for (JsonNode worker : state.get("workers")) {
          if ("ALIVE".equals(worker.get("state").asText())) {
            alive++;
          }
        }
        if (alive >= workers) {
          return;
        }
      } catch (IOException notYet) {
        // the master is still starting
      }
      Thread.sleep(250);
    }
    throw new AssertionError("the standalone cluster did not come up; see the logs in "
        + folder);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static String[] with(List<String> list, String... more) {
    List<String> joined = new ArrayList<>(list);
    joined.addAll(List.of(more));
    return joined.toArray(String[]::new);
  }
}
