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

  /** One task's report. */
  record Task(String executor, long trainingNanos, long steps) implements Serializable {}

  private final CollectionAccumulator<Task> tasks;

  TaskStatistics(JavaSparkContext spark) {
    this.tasks = spark.sc().collectionAccumulator("task statistics");
  }

  /** Called inside a task that trained clients. */
  void recordTask(long trainingNanos, long steps) {
    if (steps > 0 || trainingNanos > 0) {
      tasks.add(new Task(SparkEnv.get().executorId(), trainingNanos, steps));
    }
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
    tasks.value().forEach(task -> ids.add(task.executor()));
    return new ArrayList<>(ids);
  }
}
