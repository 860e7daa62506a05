package org.fedmtl.client;

import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.fedmtl.data.ClientShard;

/**
 * The schedule every local training engine follows: {@code localEpochs} passes over the client's
 * rows, each in an order drawn from the client's stream, cut into mini-batches of
 * {@code batchSize} rows.
 */
final class LocalEpochs {
  /** One optimiser step on rows {@code order[from..to)}; returns the mean mini-batch loss. */
  interface Step {
    double fit(int[] order, int from, int to, long iteration);
  }

  private LocalEpochs() {}

  static LocalResult run(ClientShard shard, int tasks, LocalTrainingSpec spec, long streamSeed,
      Step step, Supplier<float[]> parameters) {
    SplittableRandom random = new SplittableRandom(streamSeed);
    int rows = shard.rows();
    int[] order = new int[rows];
    for (int i = 0; i < rows; i++) {
      order[i] = i;
    }
    double lossSum = 0;
    long lossExamples = 0;
    long steps = 0;
    for (int epoch = 0; epoch < spec.localEpochs(); epoch++) {
      shuffle(order, random);
      for (int from = 0; from < rows; from += spec.batchSize()) {
        int to = Math.min(rows, from + spec.batchSize());
        lossSum += step.fit(order, from, to, steps + 1) * (to - from);
        lossExamples += to - from;
        steps++;
      }
    }

    long[] labelled = new long[tasks];
    for (int t = 0; t < tasks; t++) {
      labelled[t] = shard.labelledRows(t);
    }
    return new LocalResult(parameters.get(), rows, labelled, lossSum, lossExamples, steps);
  }

  /** Fisher-Yates shuffle driven by {@code random}. */
  static void shuffle(int[] order, SplittableRandom random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }
}
