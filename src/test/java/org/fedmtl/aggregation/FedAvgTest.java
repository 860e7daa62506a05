package org.fedmtl.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FedAvgTest {
  /** Parameters 0..2 are the backbone, 3..4 head a, 5 head b. */
  private static final ParameterLayout LAYOUT = new ParameterLayout(6, List.of(
      new ParameterLayout.Group("backbone", null, new int[] {0}, new int[] {3}),
      new ParameterLayout.Group("head:a", "a", new int[] {3}, new int[] {5}),
      new ParameterLayout.Group("head:b", "b", new int[] {5}, new int[] {6})));

  @Test
  void averagesEachGroupOverItsOwnWeights() {
    WeightedParameterSum sum = new WeightedParameterSum(LAYOUT);
    sum.add(LAYOUT, new float[] {1, 2, 3, 10, 20, 100}, new double[] {2, 2, 0}, 4.0, 2);
    sum.add(LAYOUT, new float[] {4, 5, 6, 40, 50, 200}, new double[] {1, 3, 1}, 2.0, 1);
    float[] global = {-1, -1, -1, -1, -1, -1};

    float[] next = new FedAvg().aggregate(global, sum, LAYOUT);

    // backbone: (2*1 + 1*4)/3 = 2, (2*2 + 5)/3 = 3, (2*3 + 6)/3 = 4
    // head a: (2*10 + 3*40)/5 = 28, (2*20 + 3*50)/5 = 38; head b: only the second client
    assertArrayEquals(new float[] {2, 3, 4, 28, 38, 200}, next);
    assertEquals(2, sum.clients());
    assertEquals(6.0 / 3, sum.meanLoss(), 1e-12);
  }

  @Test
  void groupWithoutWeightKeepsGlobalParameters() {
    WeightedParameterSum sum = new WeightedParameterSum(LAYOUT);
    sum.add(LAYOUT, new float[] {1, 1, 1, 1, 1, 1}, new double[] {5, 5, 0}, 0, 5);

    float[] next = new FedAvg().aggregate(new float[] {0, 0, 0, 0, 0, 7}, sum, LAYOUT);

    assertArrayEquals(new float[] {1, 1, 1, 1, 1, 7}, next);
  }

  @Test
  void noClientsKeepsEverything() {
    float[] global = {1, 2, 3, 4, 5, 6};
    float[] next = new FedAvg().aggregate(global, new WeightedParameterSum(LAYOUT), LAYOUT);
    assertArrayEquals(global, next);
  }

  @Test
  void nonFiniteOrHugeUpdateIsSkippedAndChangesNothing() {
    WeightedParameterSum sum = new WeightedParameterSum(LAYOUT);
    sum.add(LAYOUT, new float[] {1, 1, 1, 1, 1, 1}, new double[] {1, 1, 1}, 1, 1);

    assertFalse(sum.add(LAYOUT, new float[] {Float.NaN, 0, 0, 0, 0, 0}, new double[] {1, 1, 1},
        1, 1));
    assertFalse(sum.add(LAYOUT, new float[] {0, 0, 0, 0, 0, Float.POSITIVE_INFINITY},
        new double[] {1, 1, 1}, 1, 1));
    assertFalse(sum.add(LAYOUT, new float[] {3e9f, 0, 0, 0, 0, 0}, new double[] {1, 1, 1}, 1, 1));
    assertFalse(sum.add(LAYOUT, new float[] {0, 0, 0, 0, 0, 0}, new double[] {1, 1, 1},
        Double.NaN, 1));

    assertEquals(1, sum.clients());
    assertEquals(4, sum.skippedClients());
    assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1},
        new FedAvg().aggregate(new float[6], sum, LAYOUT));
  }

  @Test
  void sumIsBitIdenticalWhateverTheOrderAndGrouping() {
    Random random = new Random(7);
    ParameterLayout layout = new ParameterLayout(1000, List.of(
        new ParameterLayout.Group("backbone", null, new int[] {0}, new int[] {1000})));
    List<float[]> updates = new ArrayList<>();
    List<double[]> weights = new ArrayList<>();
    for (int c = 0; c < 40; c++) {
      float[] parameters = new float[1000];
      for (int i = 0; i < parameters.length; i++) {
        parameters[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 4));
      }
      updates.add(parameters);
      weights.add(new double[] {1 + random.nextInt(500)});
    }

    float[] inOrder = aggregateInPartitions(layout, updates, weights, identity(40), 1);
    List<Integer> shuffled = identity(40);
    Collections.shuffle(shuffled, new Random(3));
    float[] shuffledInSeven = aggregateInPartitions(layout, updates, weights, shuffled, 7);

    assertArrayEquals(inOrder, shuffledInSeven);
  }

  @Test
  void measurementsAreAveragedOverTheClientsThatGaveThemInAnyOrder() {
    double[][] clients = {{0.5, Double.NaN, -0.25}, {0.1, 0.2, Double.POSITIVE_INFINITY},
        {0.3, 0.4, 0.75}};
    WeightedParameterSum forward = new WeightedParameterSum(LAYOUT);
    for (double[] values : clients) {
      forward.addMeasurements(values);
    }
    WeightedParameterSum last = new WeightedParameterSum(LAYOUT);
    last.addMeasurements(clients[2]);
    WeightedParameterSum firstTwo = new WeightedParameterSum(LAYOUT);
    firstTwo.addMeasurements(clients[1]);
    firstTwo.addMeasurements(clients[0]);
    WeightedParameterSum merged = new WeightedParameterSum(LAYOUT).merge(last).merge(firstTwo);

    double[] means = forward.measurementMeans();
    assertEquals(0.3, means[0], 1e-9);
    assertEquals(0.3, means[1], 1e-9, "NaN is not measured");
    assertEquals(0.25, means[2], 1e-9, "infinity is left out");
    assertArrayEquals(means, merged.measurementMeans(), 0.0, "bit-identical in any order");
    assertNull(new WeightedParameterSum(LAYOUT).measurementMeans());
    assertThrows(IllegalArgumentException.class, () -> forward.addMeasurements(new double[2]));
  }

  @Test
  void measurementSumsDoNotOverflowWhateverTheClientsGive() {
    WeightedParameterSum large = new WeightedParameterSum(LAYOUT);
    for (int client = 0; client < 3; client++) {
      large.addMeasurements(new double[] {-1.5e9, 1.5e9});
    }
    assertArrayEquals(new double[] {-1.5e9, 1.5e9}, large.measurementMeans(), 1e-6);

    WeightedParameterSum many = new WeightedParameterSum(LAYOUT);
    WeightedParameterSum half = new WeightedParameterSum(LAYOUT);
    for (int client = 0; client < 5000; client++) {
      (client % 2 == 0 ? many : half).addMeasurements(new double[] {-1e6, 2e6 + client});
    }
    many.merge(half);
    assertArrayEquals(new double[] {-1e6, 2e6 + 2499.5}, many.measurementMeans(), 1e-6);
  }

  @Test
  void averageIsCloseToTheExactWeightedMean() {
    ParameterLayout layout = new ParameterLayout(1, List.of(
        new ParameterLayout.Group("backbone", null, new int[] {0}, new int[] {1})));
    WeightedParameterSum sum = new WeightedParameterSum(layout);
    sum.add(layout, new float[] {0.1f}, new double[] {3}, 0, 3);
    sum.add(layout, new float[] {1e-6f}, new double[] {1}, 0, 1);

    float averaged = new FedAvg().aggregate(new float[1], sum, layout)[0];

    assertEquals((float) ((3 * (double) 0.1f + 1e-6f) / 4), averaged);
  }

  @Test
  void rejectsUpdateOfWrongSize() {
    WeightedParameterSum sum = new WeightedParameterSum(LAYOUT);
    assertThrows(IllegalArgumentException.class,
        () -> sum.add(LAYOUT, new float[5], new double[] {1, 1, 1}, 0, 1));
  }

  @Test
  void layoutMustCoverEveryParameterOnce() {
    assertThrows(IllegalArgumentException.class, () -> new ParameterLayout(3, List.of(
        new ParameterLayout.Group("backbone", null, new int[] {0}, new int[] {2}))));
    assertThrows(IllegalArgumentException.class, () -> new ParameterLayout(3, List.of(
        new ParameterLayout.Group("backbone", null, new int[] {0}, new int[] {3}),
        new ParameterLayout.Group("head:a", "a", new int[] {2}, new int[] {3}))));
  }

  @Test
  void perTaskGroupWeightsUseLabelledExamples() {
    double[] weights = GroupWeights.byLabelledExamples(LAYOUT, List.of("a", "b"), 50,
        new long[] {30, 0});
    assertArrayEquals(new double[] {50, 30, 0}, weights);
  }

  private static float[] aggregateInPartitions(ParameterLayout layout, List<float[]> updates,
      List<double[]> weights, List<Integer> order, int partitions) {
    List<WeightedParameterSum> partials = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      partials.add(new WeightedParameterSum(layout));
    }
    for (int k = 0; k < order.size(); k++) {
      int client = order.get(k);
      partials.get(k % partitions).add(layout, updates.get(client), weights.get(client), 0, 1);
    }
    Collections.reverse(partials);
    WeightedParameterSum total = partials.get(0);
    for (int p = 1; p < partitions; p++) {
      total = total.merge(partials.get(p));
    }
    return new FedAvg().aggregate(new float[layout.size()], total, layout);
  }

  private static List<Integer> identity(int n) {
    List<Integer> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(i);
    }
    return list;
  }
}
