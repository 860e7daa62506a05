package org.fedmtl.job;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.fedmtl.federation.RoundResult;
import org.fedmtl.report.MetricHistory;

/** What the summary needs from the rounds so far, rebuilt from history.csv when resuming. */
final class RunTotals {
  private final MetricHistory metrics;
  private int rounds;
  private double roundSeconds;
  private long bytesMoved;
  private long skippedClients;
  private double lastTrainLoss = Double.NaN;
  private final java.util.SortedSet<String> executors = new java.util.TreeSet<>();

  private RunTotals(MetricHistory metrics) {
    this.metrics = metrics;
  }

  /** Totals of the rounds already in {@code history} (rows keyed by column name). */
  static RunTotals of(List<Map<String, String>> history, List<String> metricNames,
      Predicate<String> higherIsBetter) {
    RunTotals totals = new RunTotals(new MetricHistory(metricNames, higherIsBetter));
    for (Map<String, String> row : history) {
      Map<String, Double> values = new LinkedHashMap<>();
      for (String metric : metricNames) {
        String cell = row.getOrDefault(metric, "");
        if (!cell.isEmpty()) {
          values.put(metric, Double.parseDouble(cell));
        }
      }
      int round = Integer.parseInt(row.get("round"));
      totals.metrics.add(round, values);
      totals.rounds++;
      totals.roundSeconds += Double.parseDouble(row.get("seconds"));
      totals.bytesMoved += Long.parseLong(row.get("bytes_moved"));
      String loss = row.getOrDefault("train_loss", "");
      totals.lastTrainLoss = loss.isEmpty() ? Double.NaN : Double.parseDouble(loss);
    }
    return totals;
  }

  void add(RoundResult result) {
    metrics.add(result.round(), result.metrics());
    rounds++;
    roundSeconds += result.seconds();
    bytesMoved += result.bytesMoved();
    skippedClients += result.skippedClients();
    lastTrainLoss = result.trainLoss();
    executors.addAll(result.executors());
  }

  /** Executors that trained clients in the rounds run by this process. */
  List<String> executors() {
    return List.copyOf(executors);
  }

  MetricHistory metrics() {
    return metrics;
  }

  int rounds() {
    return rounds;
  }

  double roundSeconds() {
    return roundSeconds;
  }

  long bytesMoved() {
    return bytesMoved;
  }

  long skippedClients() {
    return skippedClients;
  }

  double lastTrainLoss() {
    return lastTrainLoss;
  }
}
