package org.fedmtl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MultiMnistTest {
  private static final int PIXELS = 28 * 28;

  @Test
  void resizingAConstantImageKeepsIt() {
    float[] constant = new float[36 * 36];
    Arrays.fill(constant, 0.25f);
    float[] resized = MultiMnist.resizeBilinear(constant, 36, 28);
    for (float value : resized) {
      assertEquals(0.25f, value, 1e-6f);
    }
  }

  @Test
  void overlayPutsLeftDigitTopLeftAndRightDigitBottomRight() {
    byte[] pixels = new byte[2 * PIXELS];
    pixels[0] = (byte) 255; // image 0: top-left pixel lit
    pixels[PIXELS + PIXELS - 1] = (byte) 255; // image 1: bottom-right pixel lit

    float[] image = MultiMnist.overlay(pixels, 0, 1);

    assertEquals(28 * 28, image.length);
    assertTrue(image[0] > 0.3f, "left digit's corner shows at the top left");
    assertTrue(image[PIXELS - 1] > 0.3f, "right digit's corner shows at the bottom right");
    assertEquals(0f, image[27], 1e-6f);
    assertEquals(0f, image[27 * 28], 1e-6f);
    float[] swapped = MultiMnist.overlay(pixels, 1, 0);
    assertEquals(0f, swapped[0], 1e-6f);
  }

  @Test
  void partnersAreOtherImagesAndFollowTheSeed() {
    int[] partners = MultiMnist.partners(1000, 5);
    for (int i = 0; i < partners.length; i++) {
      assertNotEquals(i, partners[i]);
      assertTrue(partners[i] >= 0 && partners[i] < 1000);
    }
    assertArrayEquals(partners, MultiMnist.partners(1000, 5));
    assertTrue(!Arrays.equals(partners, MultiMnist.partners(1000, 6)));
  }

  @Test
  void iidSplitIsAnEqualPartition() {
    int[][] split = MultiMnist.iidSplit(1003, 10, 1);
    assertEquals(10, split.length);
    int[] all = Arrays.stream(split).flatMapToInt(Arrays::stream).sorted().toArray();
    assertArrayEquals(IntStream.range(0, 1003).toArray(), all);
    for (int[] part : split) {
      assertTrue(part.length == 100 || part.length == 101);
    }
  }

  @Test
  void dirichletSplitCoversEveryImageAndSkewsLabels() {
    byte[] labels = new byte[5000];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = (byte) (i % 10);
    }

    int[][] skewed = MultiMnist.dirichletSplit(labels, 20, 0.1, 3);
    int[][] even = MultiMnist.dirichletSplit(labels, 20, 1000, 3);

    int[] all = Arrays.stream(skewed).flatMapToInt(Arrays::stream).sorted().toArray();
    assertArrayEquals(IntStream.range(0, 5000).toArray(), all);
    assertTrue(Arrays.stream(skewed).allMatch(part -> part.length > 0));
    assertTrue(meanDominantShare(skewed, labels) > 0.6, "alpha 0.1: clients dominated by a class");
    assertTrue(meanDominantShare(even, labels) < 0.2, "alpha 1000: clients near uniform");
    assertArrayEquals(skewed[4], MultiMnist.dirichletSplit(labels, 20, 0.1, 3)[4]);
  }

  private static double meanDominantShare(int[][] split, byte[] labels) {
    double total = 0;
    for (int[] part : split) {
      int[] counts = new int[10];
      for (int image : part) {
        counts[labels[image]]++;
      }
      total += (double) Arrays.stream(counts).max().orElse(0) / part.length;
    }
    return total / split.length;
  }
}
