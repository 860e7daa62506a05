package org.fedmtl.federation;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;

/**
 * What the Spark tasks of one training job report besides their sums: training time, optimiser
 * steps and the executor they ran on, gathered with an accumulator (a retried task's failed
 * attempt does not count).
 */
final class TaskStatistics implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One task's report: training or (with no steps) evaluation time. */
  record Task(String executor, long trainingNanos, long steps, long evaluationNanos)
      implements Serializable {}

  private final CollectionAccumulator<Task> tasks;

  TaskStatistics(JavaSparkContext spark) {
    this.tasks = spark.sc().collectionAccumulator("task statistics");
  }

  /** Called inside a task that trained clients. */
  void recordTask(long trainingNanos, long steps) {
    if (steps > 0 || trainingNanos > 0) {
      tasks.add(new Task(SparkEnv.get().executorId(), trainingNanos, steps, 0));
    }
  }

  /** Called inside a task that evaluated test blocks. */
  void recordEvaluation(long evaluationNanos) {
    tasks.add(new Task(SparkEnv.get().executorId(), 0, 0, evaluationNanos));
  }

  /** Evaluation time summed over tasks. */
  double evaluationSeconds() {
    return tasks.value().stream().mapToLong(Task::evaluationNanos).sum() / 1e9;
  }

  double clientSeconds() {
    return tasks.value().stream().mapToLong(Task::trainingNanos).sum() / 1e9;
  }

  double longestTaskSeconds() {
    return tasks.value().stream().mapToLong(Task::trainingNanos).max().orElse(0) / 1e9;
  }

  long steps() {
    return tasks.value().stream().mapToLong(Task::steps).sum();
  }

  /** Executors that trained clients, sorted. */
  List<String> executors() {
    TreeSet<String> ids = new TreeSet<>();
    tasks.value().stream().filter(task -> task.steps() > 0 || task.trainingNanos() > 0)
        .forEach(task -> ids.add(task.executor()));
    return new ArrayList<>(ids);
  }
}
