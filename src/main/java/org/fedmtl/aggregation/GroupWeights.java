package org.fedmtl.aggregation;

import java.util.List;

/** How much a client's parameters count in each group's average. */
public final class GroupWeights {
  private GroupWeights() {}

  /**
   * Example-count weights with per-task heads: shared groups weigh the client's examples n_k (as
   * FedAvg does), a task head weighs only the client's examples that carry that task's label, so a
   * client without labels for a task leaves that task's head out of the average.
   *
   * @param layout the parameter groups
   * @param tasks task names, in the order of {@code labelledExamples}
   * @param examples the client's examples
   * @param labelledExamples per task, the client's examples with that task's label
   */
  public static double[] byLabelledExamples(ParameterLayout layout, List<String> tasks,
      long examples, long[] labelledExamples) {
    double[] weights = new double[layout.groupCount()];
    for (int g = 0; g < layout.groupCount(); g++) {
      String task = layout.groups().get(g).task();
      weights[g] = task == null ? examples : labelledExamples[tasks.indexOf(task)];
    }
    return weights;
  }
}
