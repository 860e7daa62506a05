package org.fedmtl.job;

import java.lang.management.ManagementFactory;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;
import org.fedmtl.federation.RoundResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * Does a round's cost depend on the number of clients? Runs the same experiment (100 clients a
 * round, power-law client sizes, Dirichlet label skew) on datasets of several client counts in
 * one Spark session, and reports seconds per round, load time and driver heap for each.
 */
@Command(name = "scale", mixinStandardHelpOptions = true,
    description = "Seconds per round and driver heap for growing client counts.")
final class ScaleBench implements Callable<Integer> {
  @Option(names = "--clients", split = ",", defaultValue = "1000,100000",
      description = "Client counts to compare (default 1000,100000).")
  int[] clientCounts;

  @Option(names = "--rounds", defaultValue = "12", description = "Rounds per run (default 12).")
  int rounds;

  @Option(names = "--clients-per-round", defaultValue = "100",
      description = "Clients sampled a round (default 100).")
  int clientsPerRound;

  @ParentCommand
  Bench bench;

  /**
   * @param heapMiB the driver's heap after a full GC, at the first round
   * @param cachedMiB what Spark estimates the cached RDD blocks take (in local mode they are in
   *     the driver's heap; on a cluster, in the executors')
   */
  private record Measurement(int clients, double generationSeconds, double loadSeconds,
      double secondsPerRound, double heapMiB, double cachedMiB) {}

  @Override
  public Integer call() {
    Bench.requireAtLeast("--rounds", rounds, 3);
    Bench.requireAtLeast("--clients-per-round", clientsPerRound, 1);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    List<Measurement> measurements = new ArrayList<>();
    SparkSession spark = null;
    try {
      // The first configuration runs twice, unmeasured the first time, so that every measured
      // run finds the JIT-compiled code the previous runs left.
      List<Integer> runs = new ArrayList<>();
      Map<Integer, Double> generated = new HashMap<>();
      runs.add(clientCounts[0]);
      for (int clients : clientCounts) {
        runs.add(clients);
      }
      for (int run = 0; run < runs.size(); run++) {
        int clients = runs.get(run);
        String data = "data/scale-" + clients + "-seed42";
        ExperimentConfig config = Bench.load(List.of(), List.of(
            "name=scale-" + clients, "rounds=" + rounds, "clients-per-round=" + clientsPerRound,
            "evaluate-every=" + rounds, "checkpoint.every=0", "local.epochs=1",
            "data.synthetic.clients=" + clients, "data.synthetic.rows-per-client=20",
            "data.synthetic.max-rows-per-client=200", "data.synthetic.label-alpha=0.5",
            "data.synthetic.test-rows=2000", "data.train=" + data + "/train",
            "data.test=" + data + "/test",
            "output.dir=runs/bench-scale-" + stamp + "/" + (run == 0 ? "warm-up" : clients)));
        if (spark == null) {
          spark = Main.startSpark(config, bench.master());
        }
        List<RoundResult> results = new ArrayList<>();
        double[] heap = {0, 0};
        TrainingJob job = new TrainingJob(spark, config);
        generated.merge(clients, job.generateMissingData(), Double::sum);
        long start = System.nanoTime();
        double[] firstRoundAt = {0};
        SparkSession session = spark;
        job.observe(result -> {
          if (results.isEmpty()) {
            firstRoundAt[0] = (System.nanoTime() - start) / 1e9 - result.seconds();
            heap[0] = heapAfterGc();
            heap[1] = cachedMiB(session);
          }
          results.add(result);
        });
        job.run(TrainingJob.prepare(config));
        double[] seconds = results.stream().skip(2).limit(Math.max(1, rounds - 3))
            .mapToDouble(RoundResult::seconds).sorted().toArray();
        if (run > 0) {
          measurements.add(new Measurement(clients, generated.get(clients), firstRoundAt[0],
              seconds[seconds.length / 2], heap[0], heap[1]));
        }
      }
    } finally {
      if (spark != null) {
        spark.stop();
      }
    }

    System.out.printf("%n%d clients a round, 1 local epoch, client sizes 20-200 (power law), "
        + "label skew Dirichlet(0.5);%nmedian of rounds 3-%d, after an unmeasured warm-up run "
        + "of the first configuration%n%n", clientsPerRound, rounds - 1);
    System.out.println("| clients | data generated (s) | load and set-up (s) | seconds per round "
        + "| driver heap after GC (MiB) | of it cached client data (MiB) | rest (MiB) "
        + "| round time vs first |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|");
    Measurement first = measurements.get(0);
    for (Measurement m : measurements) {
      System.out.printf(Locale.ROOT, "| %d | %s | %.1f | %.3f | %.0f | %.1f | %.0f | %.2f |%n",
          m.clients(), m.generationSeconds() > 0
              ? String.format(Locale.ROOT, "%.1f", m.generationSeconds()) : "(existed)",
          m.loadSeconds(), m.secondsPerRound(), m.heapMiB(), m.cachedMiB(),
          m.heapMiB() - m.cachedMiB(), m.secondsPerRound() / first.secondsPerRound());
    }
    return 0;
  }

  /** Spark's estimate of the memory its cached RDD blocks take, summed over executors. */
  private static double cachedMiB(SparkSession spark) {
    double bytes = 0;
    for (RDDInfo rdd : spark.sparkContext().getRDDStorageInfo()) {
      bytes += rdd.memSize();
    }
    return bytes / 1048576.0;
  }

  private static double heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
  }
}
