package org.fedmtl.tasks;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation state of every task over some examples: a confusion matrix per classification
 * task, error sums per regression task. Partial evaluations of disjoint data merge into the
 * evaluation of their union.
 */
public final class TaskEvaluation implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<TaskSpec> tasks;
  private final Object[] perTask;

  public TaskEvaluation(List<TaskSpec> tasks) {
    this.tasks = List.copyOf(tasks);
    this.perTask = new Object[tasks.size()];
    for (int t = 0; t < tasks.size(); t++) {
      TaskSpec task = tasks.get(t);
      perTask[t] = task.type() == TaskType.CLASSIFICATION
          ? new ConfusionMatrix(task.classes()) : new RegressionErrors();
    }
  }

  /**
   * Adds one example of task {@code t}: its label (a class index or a target value) and the
   * head's output row (class probabilities or the predicted value).
   */
  public void add(int t, double label, float[] output, int offset) {
    TaskSpec task = tasks.get(t);
    if (task.type() == TaskType.CLASSIFICATION) {
      int best = 0;
      for (int c = 1; c < task.classes(); c++) {
        if (output[offset + c] > output[offset + best]) {
          best = c;
        }
      }
      ((ConfusionMatrix) perTask[t]).add((int) label, best);
    } else {
      ((RegressionErrors) perTask[t]).add(label, output[offset]);
    }
  }

  public TaskEvaluation merge(TaskEvaluation other) {
    for (int t = 0; t < perTask.length; t++) {
      if (perTask[t] instanceof ConfusionMatrix matrix) {
        matrix.merge((ConfusionMatrix) other.perTask[t]);
      } else {
        ((RegressionErrors) perTask[t]).merge((RegressionErrors) other.perTask[t]);
      }
    }
    return this;
  }

  /** Metric values keyed {@code <task>.<metric>}, in task order then {@link TaskType#metrics}. */
  public Map<String, Double> metrics() {
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (int t = 0; t < tasks.size(); t++) {
      String name = tasks.get(t).name();
      if (perTask[t] instanceof ConfusionMatrix matrix) {
        metrics.put(name + ".accuracy", matrix.accuracy());
        metrics.put(name + ".f1", matrix.macroF1());
      } else {
        RegressionErrors errors = (RegressionErrors) perTask[t];
        metrics.put(name + ".rmse", errors.rmse());
        metrics.put(name + ".mae", errors.mae());
      }
    }
    return metrics;
  }

  /** The metric column names for {@code tasks}, in the order {@link #metrics()} returns them. */
  public static List<String> metricNames(List<TaskSpec> tasks) {
    return tasks.stream()
        .flatMap(task -> task.type().metrics().stream().map(m -> task.name() + "." + m))
        .toList();
  }
}
