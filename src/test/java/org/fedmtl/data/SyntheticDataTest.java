package org.fedmtl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class SyntheticDataTest {
  private static final SyntheticData.Spec SPEC = SyntheticData.Spec.uniform(10, 200, 1000, 32, 42);

  @Test
  void clientRowsDependOnlyOnSeedAndClient() {
    List<Row> once = SyntheticData.clientRows(SPEC, 3);
    List<Row> again = SyntheticData.clientRows(
        SyntheticData.Spec.uniform(500, 200, 7, 32, 42), 3);

    assertEquals(200, once.size());
    for (int r = 0; r < once.size(); r++) {
      assertArrayEquals((float[]) once.get(r).get(1), (float[]) again.get(r).get(1));
      assertEquals(once.get(r).getInt(2), again.get(r).getInt(2));
    }
  }

  @Test
  void dataChangesWithSeedAndClient() {
    float[] first = (float[]) SyntheticData.clientRows(SPEC, 3).get(0).get(1);
    float[] otherSeed = (float[]) SyntheticData.clientRows(
        SyntheticData.Spec.uniform(10, 200, 1000, 32, 43), 3).get(0).get(1);
    float[] otherClient = (float[]) SyntheticData.clientRows(SPEC, 4).get(0).get(1);
    assertFalse(java.util.Arrays.equals(first, otherSeed));
    assertFalse(java.util.Arrays.equals(first, otherClient));
  }

  @Test
  void labelsShiftTheirFeatures() {
    double[] shiftedMean = new double[2];
    double[] otherMean = new double[2];
    int rows = 0;
    for (int client = 0; client < 10; client++) {
      for (Row row : SyntheticData.clientRows(SPEC, client)) {
        float[] features = (float[]) row.get(1);
        int y1 = row.getInt(2);
        int y2 = row.getInt(3);
        assertTrue(y1 >= 0 && y1 < 10 && y2 >= 0 && y2 < 5);
        shiftedMean[0] += features[y1];
        otherMean[0] += features[(y1 + 16) % 32];
        shiftedMean[1] += features[y2 + 5];
        otherMean[1] += features[(y2 + 21) % 32];
        rows++;
      }
    }
    // x[y1] has mean 2 (plus 1 when it is also y2's feature); x[y2 + 5] has mean 1 or more.
    assertTrue(shiftedMean[0] / rows > 1.8, "task1 feature shifted by about 2");
    assertTrue(shiftedMean[1] / rows > 0.9, "task2 feature shifted by about 1");
    assertTrue(Math.abs(otherMean[0] / rows) < 0.5);
  }

  @Test
  void powerLawSizesStayInRangeAndAreSkewed() {
    SyntheticData.Spec spec = new SyntheticData.Spec(5000, 20, 200, 1.5, 0, 10, 32, 9);
    int[] sizes = new int[spec.clients()];
    for (int client = 0; client < sizes.length; client++) {
      sizes[client] = SyntheticData.clientSize(spec, client);
      assertTrue(sizes[client] >= 20 && sizes[client] <= 200);
    }
    java.util.Arrays.sort(sizes);
    // Truncated Pareto(20, 1.5) on [20, 200]: median about 31, mean about 42.
    assertEquals(31, sizes[sizes.length / 2], 3);
    assertEquals(42.4, java.util.Arrays.stream(sizes).average().orElseThrow(), 2.5);
    assertEquals(SyntheticData.clientSize(spec, 7), SyntheticData.clientRows(spec, 7).size());
  }

  @Test
  void dirichletLabelsSkewEachClient() {
    SyntheticData.Spec skewed = new SyntheticData.Spec(50, 400, 0, 1.5, 0.1, 10, 32, 3);
    double dominant = 0;
    for (int client = 0; client < skewed.clients(); client++) {
      int[] counts = new int[10];
      for (Row row : SyntheticData.clientRows(skewed, client)) {
        counts[row.getInt(2)]++;
      }
      dominant += java.util.Arrays.stream(counts).max().orElseThrow() / 400.0;
    }
    assertTrue(dominant / skewed.clients() > 0.6, "alpha 0.1: a class dominates each client");
  }

  @Test
  void testSetHasTheRequestedRowsInChunks() {
    int total = 0;
    for (int chunk = 0; chunk < 3; chunk++) {
      total += SyntheticData.testRows(SyntheticData.Spec.uniform(1, 1, 2500, 32, 1), chunk).size();
    }
    assertEquals(2500, total);
  }
}
