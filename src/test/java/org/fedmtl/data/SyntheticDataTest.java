package org.fedmtl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class SyntheticDataTest {
  private static final SyntheticData.Spec SPEC = new SyntheticData.Spec(10, 200, 1000, 32, 42);

  @Test
  void clientRowsDependOnlyOnSeedAndClient() {
    List<Row> once = SyntheticData.clientRows(SPEC, 3);
    List<Row> again = SyntheticData.clientRows(
        new SyntheticData.Spec(500, 200, 7, 32, 42), 3);

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
        new SyntheticData.Spec(10, 200, 1000, 32, 43), 3).get(0).get(1);
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
  void testSetHasTheRequestedRowsInChunks() {
    int total = 0;
    for (int chunk = 0; chunk < 3; chunk++) {
      total += SyntheticData.testRows(new SyntheticData.Spec(1, 1, 2500, 32, 1), chunk).size();
    }
    assertEquals(2500, total);
  }
}
