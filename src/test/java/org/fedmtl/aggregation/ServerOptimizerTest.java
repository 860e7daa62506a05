package org.fedmtl.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Server optimizers on the averaged update: exact values, groups without clients, state. */
class ServerOptimizerTest {
  private static final ParameterLayout LAYOUT = new ParameterLayout(3, List.of(
      new ParameterLayout.Group("backbone", null, new int[] {0}, new int[] {2}),
      new ParameterLayout.Group("head:a", "a", new int[] {2}, new int[] {3})));

  @Test
  void momentumOfZeroWithStepOneIsFedAvg() {
    ServerOptimizer plain = new ServerOptimizer(new ServerOptimizer.Spec("momentum", 1, 0, 0, 1));
    float[] global = {0.5f, -1, 2};
    WeightedParameterSum sum = sum(new float[] {1, 2, 3}, new double[] {2, 1});
    assertArrayEquals(new FedAvg().aggregate(global, sum, LAYOUT),
        plain.aggregate(global, sum, LAYOUT));
  }

  @Test
  void momentumAccumulatesTheAverageChanges() {
    ServerOptimizer momentum = new ServerOptimizer(
        new ServerOptimizer.Spec("momentum", 0.5, 0.9, 0, 1));
    // Round 1: delta = (1, 2, 4), m = delta, w = 0.5 m.
    float[] first = momentum.aggregate(new float[3], sum(new float[] {1, 2, 4},
        new double[] {1, 1}), LAYOUT);
    assertArrayEquals(new float[] {0.5f, 1, 2}, first);
    // Round 2: delta = (1, 0, 0), m = 0.9 (1, 2, 4) + delta = (1.9, 1.8, 3.6).
    float[] second = momentum.aggregate(first, sum(new float[] {1.5f, 1, 2},
        new double[] {1, 1}), LAYOUT);
    assertArrayEquals(new float[] {0.5f + 0.95f, 1 + 0.9f, 2 + 1.8f}, second, 1e-6f);
  }

  @Test
  void adamStepsByTheNormalisedFirstMoment() {
    ServerOptimizer adam = new ServerOptimizer(
        new ServerOptimizer.Spec("adam", 0.1, 0.9, 0.99, 0.001));
    // delta = (1, -4, 0): m = 0.1 delta, v = 0.01 delta^2, step = 0.1 m / (sqrt(v) + 0.001).
    float[] next = adam.aggregate(new float[3], sum(new float[] {1, -4, 0},
        new double[] {1, 1}), LAYOUT);
    assertArrayEquals(new float[] {(float) (0.1 * 0.1 / (0.1 + 0.001)),
        (float) (0.1 * -0.4 / (0.4 + 0.001)), 0}, next, 1e-7f);
  }

  @Test
  void aGroupNoClientUpdatedKeepsItsParametersAndState() {
    ServerOptimizer momentum = new ServerOptimizer(
        new ServerOptimizer.Spec("momentum", 1, 0.5, 0, 1));
    float[] first = momentum.aggregate(new float[3], sum(new float[] {1, 1, 1},
        new double[] {1, 1}), LAYOUT);
    // The head gets no weight: it keeps 1 and its momentum 1, which then applies in round 3.
    float[] second = momentum.aggregate(first, sum(new float[] {1, 1, 9},
        new double[] {1, 0}), LAYOUT);
    assertEquals(1, second[2]);
    float[] third = momentum.aggregate(second, sum(new float[] {1.5f, 1.5f, 1},
        new double[] {1, 1}), LAYOUT);
    assertEquals(1 + 0.5f * 1 + 0, third[2], 1e-6f);
  }

  @Test
  void aRestoredStateContinuesExactly() {
    ServerOptimizer.Spec spec = new ServerOptimizer.Spec("adam", 0.05, 0.9, 0.99, 0.001);
    ServerOptimizer whole = new ServerOptimizer(spec);
    float[] afterOne = whole.aggregate(new float[3], sum(new float[] {1, 2, 3},
        new double[] {1, 1}), LAYOUT);
    Map<String, float[]> state = whole.state();
    float[] afterTwo = whole.aggregate(afterOne, sum(new float[] {-1, 0, 2},
        new double[] {1, 1}), LAYOUT);

    ServerOptimizer resumed = new ServerOptimizer(spec);
    resumed.restore(state);
    assertArrayEquals(afterTwo, resumed.aggregate(afterOne, sum(new float[] {-1, 0, 2},
        new double[] {1, 1}), LAYOUT));
    assertEquals(2, state.size());
    assertThrows(IllegalArgumentException.class,
        () -> new ServerOptimizer(new ServerOptimizer.Spec("yogi", 1, 0, 0, 1)));
  }

  /** One client's parameters with the given group weights. */
  private static WeightedParameterSum sum(float[] parameters, double[] weights) {
    WeightedParameterSum sum = new WeightedParameterSum(LAYOUT);
    sum.add(LAYOUT, parameters, weights, 0, 1);
    return sum;
  }
}
