package org.fedmtl.tasks;

import java.util.List;

/** The kinds of task a multi-task model can learn, each with the metrics reported for it. */
public enum TaskType {
  /** Single-label classification: softmax head, cross-entropy loss, accuracy and macro-F1. */
  CLASSIFICATION(List.of("accuracy", "f1")),
  /** Scalar regression: linear head, squared-error loss, root mean squared and absolute error. */
  REGRESSION(List.of("rmse", "mae"));

  private final List<String> metrics;

  TaskType(List<String> metrics) {
    this.metrics = metrics;
  }

  /** Metric names in the order they appear in history.csv. */
  public List<String> metrics() {
    return metrics;
  }

  /** Whether a larger value of {@code metric} is better (accuracy) or worse (rmse). */
  public boolean higherIsBetter(String metric) {
    return this == CLASSIFICATION;
  }

  /** The configuration spelling of this type. */
  public String configName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
