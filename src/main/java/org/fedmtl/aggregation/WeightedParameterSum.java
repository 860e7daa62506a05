package org.fedmtl.aggregation;

import java.io.Serializable;

/**
 * The server's view of a round in progress: for every parameter the sum over clients of
 * (client weight for the parameter's group) x (client's parameter value), and for every group the
 * sum of client weights, plus training statistics and per-client measurements averaged over
 * the clients that report them (such as task affinity).
 *
 * <p>Sums are kept in 64-bit fixed point (2^-32 resolution for parameters, 2^-20 for weights and
 * statistics). Each client's contribution is rounded once, on its own, and integer addition is
 * associative, so the sum is bit-identical whatever the order in which Spark combines partitions,
 * however clients are partitioned, and on any number of executors. The cost is an absolute
 * rounding error below 2.4e-10 per contribution, far below a float's resolution at the scale of
 * network weights, and twice the bytes of a float sum per parameter. A contribution whose
 * magnitude exceeds 2^31 (weight x parameter) overflows the range and is rejected.
 */
public final class WeightedParameterSum implements Serializable {
  private static final long serialVersionUID = 1L;

  static final double PARAMETER_SCALE = 0x1p32;
  static final double STATISTIC_SCALE = 0x1p20;
  private static final double PARAMETER_LIMIT = 0x1p31;

  private final long[] parameterSums;
  private final long[] groupWeights;
  private long lossSum;
  private long examples;
  /**
   * Sums of the clients' measurements in 128-bit fixed point (2^-32 resolution; low and high
   * 64 bits), which no number of clients can overflow, and how many clients gave each.
   */
  private long[] measurementLow;
  private long[] measurementHigh;
  private int[] measurementCounts;
  private int clients;
  private int skippedClients;

  public WeightedParameterSum(ParameterLayout layout) {
    this.parameterSums = new long[layout.size()];
    this.groupWeights = new long[layout.groupCount()];
  }

  /**
   * Adds one client's parameters.
   *
   * @param layout the parameter layout
   * @param parameters the client's parameters after local training
   * @param weights the client's weight for each group (0 leaves the group untouched)
   * @param lossSum the client's summed training loss over the examples it trained on
   * @param examples the number of examples that training loss is summed over
   * @return false when a parameter or statistic is not finite or too large, in which case the
   *     client is counted as skipped and nothing else changes
   */
  public boolean add(ParameterLayout layout, float[] parameters, double[] weights, double lossSum,
      long examples) {
    if (!isUsable(layout, parameters, weights) || !Double.isFinite(lossSum)) {
      skippedClients++;
      return false;
    }
    for (int g = 0; g < layout.groupCount(); g++) {
      double weight = weights[g];
      if (weight == 0) {
        continue;
      }
      ParameterLayout.Group group = layout.groups().get(g);
      for (int r = 0; r < group.starts().length; r++) {
        for (int i = group.starts()[r]; i < group.ends()[r]; i++) {
          parameterSums[i] += Math.round(weight * parameters[i] * PARAMETER_SCALE);
        }
      }
      groupWeights[g] += Math.round(weight * STATISTIC_SCALE);
    }
    this.lossSum += Math.round(lossSum * STATISTIC_SCALE);
    this.examples += examples;
    clients++;
    return true;
  }

  /**
   * Adds one client's measurements, cell by cell; a cell that is NaN (not measured), infinite or
   * beyond 2^31 in magnitude is left out of that cell's mean. All clients of a round report
   * arrays of one length.
   */
  public void addMeasurements(double[] values) {
    if (measurementLow == null) {
      measurementLow = new long[values.length];
      measurementHigh = new long[values.length];
      measurementCounts = new int[values.length];
    } else if (values.length != measurementLow.length) {
      throw new IllegalArgumentException(values.length + " measurements where earlier clients "
          + "gave " + measurementLow.length);
    }
    for (int i = 0; i < values.length; i++) {
      if (Math.abs(values[i]) < PARAMETER_LIMIT) {
        long value = Math.round(values[i] * PARAMETER_SCALE);
        addWide(i, value, value < 0 ? -1 : 0);
        measurementCounts[i]++;
      }
    }
  }

  /** Adds the 128-bit number (high, low) to measurement cell {@code i}. */
  private void addWide(int i, long low, long high) {
    long sum = measurementLow[i] + low;
    long carry = Long.compareUnsigned(sum, measurementLow[i]) < 0 ? 1 : 0;
    measurementLow[i] = sum;
    measurementHigh[i] += high + carry;
  }

  /** Per cell, the mean of the clients' measurements; NaN where none gave one; null if none. */
  public double[] measurementMeans() {
    if (measurementLow == null) {
      return null;
    }
    double[] means = new double[measurementLow.length];
    for (int i = 0; i < means.length; i++) {
      long low = measurementLow[i];
      double unsignedLow = (low >>> 1) * 2.0 + (low & 1);
      double sum = (measurementHigh[i] * 0x1p64 + unsignedLow) / PARAMETER_SCALE;
      means[i] = measurementCounts[i] == 0 ? Double.NaN : sum / measurementCounts[i];
    }
    return means;
  }

  /** Records a client that could not train (for example corrupt data) without adding it. */
  public void skip() {
    skippedClients++;
  }

  /** Adds {@code other} into this sum and returns this. */
  public WeightedParameterSum merge(WeightedParameterSum other) {
    for (int i = 0; i < parameterSums.length; i++) {
      parameterSums[i] += other.parameterSums[i];
    }
    for (int g = 0; g < groupWeights.length; g++) {
      groupWeights[g] += other.groupWeights[g];
    }
    if (other.measurementLow != null) {
      if (measurementLow == null) {
        measurementLow = other.measurementLow.clone();
        measurementHigh = other.measurementHigh.clone();
        measurementCounts = other.measurementCounts.clone();
      } else {
        for (int i = 0; i < measurementLow.length; i++) {
          addWide(i, other.measurementLow[i], other.measurementHigh[i]);
          measurementCounts[i] += other.measurementCounts[i];
        }
      }
    }
    lossSum += other.lossSum;
    examples += other.examples;
    clients += other.clients;
    skippedClients += other.skippedClients;
    return this;
  }

  /** The summed weight of group {@code g} over the clients added so far. */
  public double groupWeight(int g) {
    return groupWeights[g] / STATISTIC_SCALE;
  }

  /** The weighted sum of parameter {@code i} divided by {@code weight}. */
  public float average(int i, double weight) {
    return (float) (parameterSums[i] / PARAMETER_SCALE / weight);
  }

  /** Example-weighted mean training loss of the clients added, NaN when there are none. */
  public double meanLoss() {
    return examples == 0 ? Double.NaN : lossSum / STATISTIC_SCALE / examples;
  }

  public int clients() {
    return clients;
  }

  /** Examples trained on (each counted once per local epoch) by the clients added. */
  public long examples() {
    return examples;
  }

  public int skippedClients() {
    return skippedClients;
  }

  /** The size of this object's payload when shipped, for reporting bytes moved per round. */
  public long payloadBytes() {
    int measurements = measurementLow == null ? 0 : measurementLow.length;
    return 8L * (parameterSums.length + groupWeights.length) + 20L * measurements + 24;
  }

  private static boolean isUsable(ParameterLayout layout, float[] parameters, double[] weights) {
    if (parameters.length != layout.size() || weights.length != layout.groupCount()) {
      throw new IllegalArgumentException("update of " + parameters.length + " parameters and "
          + weights.length + " group weights does not match the layout (" + layout.size()
          + " parameters, " + layout.groupCount() + " groups)");
    }
    for (int g = 0; g < layout.groupCount(); g++) {
      double weight = weights[g];
      if (!(weight >= 0) || Double.isInfinite(weight)) {
        return false;
      }
      if (weight == 0) {
        continue;
      }
      ParameterLayout.Group group = layout.groups().get(g);
      for (int r = 0; r < group.starts().length; r++) {
        for (int i = group.starts()[r]; i < group.ends()[r]; i++) {
          if (!(Math.abs(weight * parameters[i]) < PARAMETER_LIMIT)) {
            return false;
          }
        }
      }
    }
    return true;
  }
}
