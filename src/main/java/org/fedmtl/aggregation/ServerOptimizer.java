package org.fedmtl.aggregation;

import java.util.Map;

/**
 * A server optimizer after federated averaging (Reddi, Charles, Zaheer, Garrett, Rush, Konecny,
 * Kumar and McMahan, "Adaptive Federated Optimization", ICLR 2021): the change the clients'
 * average proposes, delta = average - global, is treated as a pseudo-gradient and applied with
 * the server's own step rule.
 *
 * <ul>
 *   <li>{@code momentum} (FedAvgM; Hsu, Qi and Brown, "Measuring the Effects of Non-Identical
 *       Data Distribution for Federated Visual Classification", 2019): m = beta1 m + delta,
 *       w = w + eta m. With eta = 1 and beta1 = 0 it is plain FedAvg.</li>
 *   <li>{@code adam} (FedAdam, Algorithm 2 of Reddi et al.): m = beta1 m + (1 - beta1) delta,
 *       v = beta2 v + (1 - beta2) delta^2, w = w + eta m / (sqrt(v) + tau).</li>
 * </ul>
 *
 * <p>A parameter group that no client of a round updated keeps its parameters and its
 * optimizer state that round. The state (m, and v for adam) is kept between rounds and goes
 * into checkpoints, so a resumed run continues exactly.
 */
public final class ServerOptimizer implements Aggregator {
  private static final long serialVersionUID = 1L;
  private static final String FIRST_MOMENT = "server-optimizer.m";
  private static final String SECOND_MOMENT = "server-optimizer.v";

  private final Spec spec;
  private final FedAvg average = new FedAvg();
  private float[] firstMoment;
  private float[] secondMoment;

  /**
   * The server optimizer's settings.
   *
   * @param kind {@code momentum} or {@code adam}
   * @param learningRate eta, the server's step size
   * @param beta1 the momentum (adam: the first moment's decay)
   * @param beta2 adam: the second moment's decay
   * @param tau adam: the adaptivity floor added to sqrt(v)
   */
  public record Spec(String kind, double learningRate, double beta1, double beta2, double tau)
      implements java.io.Serializable {}

  public ServerOptimizer(Spec spec) {
    if (!spec.kind().equals("momentum") && !spec.kind().equals("adam")) {
      throw new IllegalArgumentException("no server optimizer '" + spec.kind() + "'");
    }
    this.spec = spec;
  }

  @Override
  public float[] aggregate(float[] global, WeightedParameterSum sum, ParameterLayout layout) {
    float[] averaged = average.aggregate(global, sum, layout);
    if (firstMoment == null) {
      firstMoment = new float[global.length];
      secondMoment = spec.kind().equals("adam") ? new float[global.length] : null;
    }
    float[] next = global.clone();
    for (int g = 0; g < layout.groupCount(); g++) {
      if (sum.groupWeight(g) <= 0) {
        continue;
      }
      ParameterLayout.Group group = layout.groups().get(g);
      for (int r = 0; r < group.starts().length; r++) {
        for (int i = group.starts()[r]; i < group.ends()[r]; i++) {
          next[i] = step(i, global[i], averaged[i] - global[i]);
        }
      }
    }
    return next;
  }

  private float step(int i, float weight, double delta) {
    if (secondMoment == null) {
      firstMoment[i] = (float) (spec.beta1() * firstMoment[i] + delta);
      return (float) (weight + spec.learningRate() * firstMoment[i]);
    }
    firstMoment[i] = (float) (spec.beta1() * firstMoment[i] + (1 - spec.beta1()) * delta);
    secondMoment[i] = (float) (spec.beta2() * secondMoment[i]
        + (1 - spec.beta2()) * delta * delta);
    return (float) (weight
        + spec.learningRate() * firstMoment[i] / (Math.sqrt(secondMoment[i]) + spec.tau()));
  }

  @Override
  public Map<String, float[]> state() {
    if (firstMoment == null) {
      return Map.of();
    }
    return secondMoment == null ? Map.of(FIRST_MOMENT, firstMoment.clone())
        : Map.of(FIRST_MOMENT, firstMoment.clone(), SECOND_MOMENT, secondMoment.clone());
  }

  @Override
  public void restore(Map<String, float[]> state) {
    float[] m = state.get(FIRST_MOMENT);
    if (m == null) {
      firstMoment = null;
      secondMoment = null;
      return;
    }
    firstMoment = m.clone();
    float[] v = state.get(SECOND_MOMENT);
    secondMoment = spec.kind().equals("adam") ? (v == null ? new float[m.length] : v.clone())
        : null;
  }

  @Override
  public String name() {
    return "fedavg with server " + spec.kind();
  }
}
