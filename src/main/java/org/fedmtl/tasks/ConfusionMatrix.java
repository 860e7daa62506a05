package org.fedmtl.tasks;

import java.io.Serializable;

/**
 * Counts of (true class, predicted class) pairs, from which accuracy and macro-F1 follow. Counts
 * are integers, so merging partial matrices in any order gives the same metrics.
 */
public final class ConfusionMatrix implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int classes;
  private final long[] counts;

  public ConfusionMatrix(int classes) {
    this.classes = classes;
    this.counts = new long[classes * classes];
  }

  public void add(int trueClass, int predictedClass) {
    counts[trueClass * classes + predictedClass]++;
  }

  public void merge(ConfusionMatrix other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
  }

  public long total() {
    long total = 0;
    for (long count : counts) {
      total += count;
    }
    return total;
  }

  public long count(int trueClass, int predictedClass) {
    return counts[trueClass * classes + predictedClass];
  }

  /** Fraction of examples whose predicted class is the true class; NaN without examples. */
  public double accuracy() {
    long correct = 0;
    for (int c = 0; c < classes; c++) {
      correct += count(c, c);
    }
    long total = total();
    return total == 0 ? Double.NaN : (double) correct / total;
  }

  /**
   * Macro-averaged F1: the unweighted mean over classes of 2TP / (2TP + FP + FN), taken over the
   * classes that occur as a true or a predicted label (as scikit-learn does when no label list is
   * given). A class that occurs but is never predicted correctly scores 0.
   */
  public double macroF1() {
    double sum = 0;
    int present = 0;
    for (int c = 0; c < classes; c++) {
      long truePositives = count(c, c);
      long actual = 0;
      long predicted = 0;
      for (int other = 0; other < classes; other++) {
        actual += count(c, other);
        predicted += count(other, c);
      }
      if (actual == 0 && predicted == 0) {
        continue;
      }
      present++;
      sum += 2.0 * truePositives / (actual + predicted);
    }
    return present == 0 ? Double.NaN : sum / present;
  }
}
