package org.fedmtl.job;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.BlockId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import scala.runtime.AbstractFunction1;

/**
 * Measures whether a long run holds memory: runs an experiment (the default one unless told
 * otherwise) for many rounds and, at intervals, reports the heap in use after a full garbage
 * collection and the broadcast and cached RDD blocks Spark holds. In local mode the driver and
 * the executor are one JVM, so the heap column covers both.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
    description = "Heap and Spark blocks over a long run: is memory flat?")
final class MemoryBench implements Callable<Integer> {
  @Option(names = "--rounds", defaultValue = "300", description = "Rounds (default 300).")
  int rounds;

  @Option(names = "--every", defaultValue = "25", description = "Measure every N rounds.")
  int every;

  @Parameters(paramLabel = "[CONFIG_FILE] [key=value...]", arity = "0..*")
  List<String> arguments = new ArrayList<>();

  @ParentCommand
  Bench bench;

  private record Sample(int round, double heapMiB, int broadcastBlocks, int cachedRdds) {}

  @Override
  public Integer call() {
    Bench.requireAtLeast("--rounds", rounds, 1);
    Bench.requireAtLeast("--every", every, 1);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    List<String> overrides = new ArrayList<>(List.of("rounds=" + rounds, "evaluate-every=10",
        "checkpoint.every=0", "output.dir=runs/bench-memory-" + stamp));
    ExperimentConfig config = Bench.load(arguments, overrides);

    SparkSession spark = Main.startSpark(config, bench.master());
    List<Sample> samples = new ArrayList<>();
    try {
      TrainingJob job = new TrainingJob(spark, config);
      job.observe(result -> {
        if (result.round() == 1 || result.round() % every == 0) {
          samples.add(sample(spark, result.round()));
        }
      });
      job.run(TrainingJob.prepare(config));
    } finally {
      spark.stop();
    }

    System.out.println();
    System.out.println("| round | heap after GC (MiB) | broadcast blocks | cached RDDs |");
    System.out.println("|---:|---:|---:|---:|");
    for (Sample sample : samples) {
      System.out.printf("| %d | %.1f | %d | %d |%n", sample.round(), sample.heapMiB(),
          sample.broadcastBlocks(), sample.cachedRdds());
    }
    int half = rounds / 2;
    double firstHalf = samples.stream().filter(s -> s.round() <= half)
        .mapToDouble(Sample::heapMiB).max().orElse(Double.NaN);
    double secondHalf = samples.stream().filter(s -> s.round() > half)
        .mapToDouble(Sample::heapMiB).max().orElse(Double.NaN);
    System.out.printf("%npeak heap after GC: rounds 1-%d %.1f MiB, rounds %d-%d %.1f MiB "
        + "(%+.1f MiB)%n", half, firstHalf, half + 1, rounds, secondHalf,
        secondHalf - firstHalf);
    return 0;
  }

  private static Sample sample(SparkSession spark, int round) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    double heap = memory.getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
    int broadcasts = SparkEnv.get().blockManager().getMatchingBlockIds(new IsBroadcast())
        .size();
    int cached = spark.sparkContext().getPersistentRDDs().size();
    return new Sample(round, heap, broadcasts, cached);
  }

  private static final class IsBroadcast extends AbstractFunction1<BlockId, Object> {
    @Override
    public Object apply(BlockId id) {
      return id.isBroadcast();
    }
  }
}
