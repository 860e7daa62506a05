package org.fedmtl.federation;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What the Spark tasks of one round's job reported besides their sums: training time, optimiser
 * steps, evaluation time and the executors they ran on. Only successful task attempts return a
 * result, so a retried task counts once.
 */
final class TaskStatistics {
  private final List<RoundPartial.TaskReport> tasks;

  TaskStatistics(List<RoundPartial.TaskReport> tasks) {
    this.tasks = List.copyOf(tasks);
  }

  /** Evaluation time summed over tasks. */
  double evaluationSeconds() {
    return tasks.stream().mapToLong(RoundPartial.TaskReport::evaluationNanos).sum() / 1e9;
  }

  double clientSeconds() {
    return tasks.stream().mapToLong(RoundPartial.TaskReport::trainingNanos).sum() / 1e9;
  }

  /** Training and evaluation time of the busiest task. */
  double longestTaskSeconds() {
    return tasks.stream().mapToLong(task -> task.trainingNanos() + task.evaluationNanos()).max()
        .orElse(0) / 1e9;
  }

  /** Tasks that trained clients: each received the global model and sent back a partial sum. */
  int trainingTasks() {
    return (int) tasks.stream().filter(task -> task.trainingNanos() > 0).count();
  }

  long steps() {
    return tasks.stream().mapToLong(RoundPartial.TaskReport::steps).sum();
  }

  /** Executors that trained clients, sorted. */
  List<String> executors() {
    TreeSet<String> ids = new TreeSet<>();
    tasks.stream().filter(task -> task.steps() > 0 || task.trainingNanos() > 0)
        .forEach(task -> ids.add(task.executor()));
    return new ArrayList<>(ids);
  }
}
