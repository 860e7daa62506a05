package org.fedmtl.data;

import java.io.Serializable;

/**
 * One example as Spark SQL's bean encoder produces it: arrays arrive as primitive arrays, with no
 * boxing per value. Carries the first check the row fails (0: none) and, for a failing row, where
 * it is. Used only while client shards are being built.
 */
public class ExampleRow implements Serializable {
  private static final long serialVersionUID = 1L;

  private String client;
  private float[] features;
  private float[] labels;
  private int problem;
  private String problemAt;

  public String getClient() {
    return client;
  }

  public void setClient(String client) {
    this.client = client;
  }

  public float[] getFeatures() {
    return features;
  }

  public void setFeatures(float[] features) {
    this.features = features;
  }

  public float[] getLabels() {
    return labels;
  }

  public void setLabels(float[] labels) {
    this.labels = labels;
  }

  public int getProblem() {
    return problem;
  }

  public void setProblem(int problem) {
    this.problem = problem;
  }

  public String getProblemAt() {
    return problemAt;
  }

  public void setProblemAt(String problemAt) {
    this.problemAt = problemAt;
  }
}
