package org.fedmtl.tasks;

import java.io.Serializable;

/** Running sums of squared and absolute errors, from which RMSE and MAE follow. */
public final class RegressionErrors implements Serializable {
  private static final long serialVersionUID = 1L;

  private long count;
  private double squaredErrorSum;
  private double absoluteErrorSum;

  public void add(double target, double prediction) {
    double error = prediction - target;
    count++;
    squaredErrorSum += error * error;
    absoluteErrorSum += Math.abs(error);
  }

  public void merge(RegressionErrors other) {
    count += other.count;
    squaredErrorSum += other.squaredErrorSum;
    absoluteErrorSum += other.absoluteErrorSum;
  }

  public long count() {
    return count;
  }

  public double rmse() {
    return count == 0 ? Double.NaN : Math.sqrt(squaredErrorSum / count);
  }

  public double mae() {
    return count == 0 ? Double.NaN : absoluteErrorSum / count;
  }
}
