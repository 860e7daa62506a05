package org.fedmtl.aggregation;

/**
 * Federated averaging (McMahan, Moore, Ramage, Hampson and Aguera y Arcas, "Communication-efficient
 * learning of deep networks from decentralized data", AISTATS 2017): each parameter group becomes
 * the weighted mean of the clients' values, w_g = sum_k n_k,g w_k,g / sum_k n_k,g, where n_k,g is
 * client k's weight for group g. With per-task group weights (a head weighted by the examples
 * that carry its task's label) a head is averaged only over the clients that trained it.
 */
public final class FedAvg implements Aggregator {
  private static final long serialVersionUID = 1L;

  @Override
  public float[] aggregate(float[] global, WeightedParameterSum sum, ParameterLayout layout) {
    float[] next = global.clone();
    for (int g = 0; g < layout.groupCount(); g++) {
      double weight = sum.groupWeight(g);
      if (weight <= 0) {
        continue;
      }
      ParameterLayout.Group group = layout.groups().get(g);
      for (int r = 0; r < group.starts().length; r++) {
        for (int i = group.starts()[r]; i < group.ends()[r]; i++) {
          next[i] = sum.average(i, weight);
        }
      }
    }
    return next;
  }

  @Override
  public String name() {
    return "fedavg";
  }
}
