package org.fedmtl.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** The last and the best value of every metric over the rounds seen so far. */
public final class MetricHistory {

  /**
   * One metric's record.
   *
   * @param last the most recent value
   * @param lastRound the round of {@code last}
   * @param best the best value (highest, or lowest for error metrics)
   * @param bestRound the first round that reached {@code best}
   */
  public record Record(double last, int lastRound, double best, int bestRound) {}

  private final List<String> metrics;
  private final Predicate<String> higherIsBetter;
  private final Map<String, Record> records = new LinkedHashMap<>();

  public MetricHistory(List<String> metrics, Predicate<String> higherIsBetter) {
    this.metrics = List.copyOf(metrics);
    this.higherIsBetter = higherIsBetter;
  }

  public void add(int round, Map<String, Double> values) {
    for (String metric : metrics) {
      Double value = values.get(metric);
      if (value == null || value.isNaN()) {
        continue;
      }
      Record previous = records.get(metric);
      boolean better = previous == null || (higherIsBetter.test(metric)
          ? value > previous.best() : value < previous.best());
      records.put(metric, better
          ? new Record(value, round, value, round)
          : new Record(value, round, previous.best(), previous.bestRound()));
    }
  }

  /** Records of the metrics that have a value, in metric order. */
  public Map<String, Record> records() {
    Map<String, Record> ordered = new LinkedHashMap<>();
    for (String metric : metrics) {
      if (records.containsKey(metric)) {
        ordered.put(metric, records.get(metric));
      }
    }
    return ordered;
  }
}
