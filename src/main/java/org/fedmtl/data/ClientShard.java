package org.fedmtl.data;

import java.io.Serializable;

/**
 * One client's examples, held as primitive arrays: features row-major ({@code rows} x
 * {@code featureSize}) and one label array per task, with NaN where an example has no label for
 * that task. Rows are in a canonical order (sorted by content), so a shard built from the same
 * data is the same whatever order Spark read the files in.
 */
public final class ClientShard implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String clientId;
  private final int index;
  private final int rows;
  private final int featureSize;
  private final float[] features;
  private final float[][] labels;
  private final boolean testBlock;

  /**
   * @param clientId the client's identifier in the data
   * @param index the client's position among all clients sorted by identifier
   * @param featureSize features per example
   * @param features {@code rows * featureSize} values, row-major
   * @param labels per task, one label per row (NaN: no label)
   */
  public ClientShard(String clientId, int index, int featureSize, float[] features,
      float[][] labels) {
    this(clientId, index, featureSize, features, labels, false);
  }

  private ClientShard(String clientId, int index, int featureSize, float[] features,
      float[][] labels, boolean testBlock) {
    this.testBlock = testBlock;
    this.clientId = clientId;
    this.index = index;
    this.featureSize = featureSize;
    this.rows = featureSize == 0 ? 0 : features.length / featureSize;
    this.features = features;
    this.labels = labels;
  }

  /**
   * A block of held-out test examples, named {@code block-<index>}: evaluated, never trained on.
   */
  public static ClientShard testBlock(int index, int featureSize, float[] features,
      float[][] labels) {
    return new ClientShard("block-" + index, index, featureSize, features, labels, true);
  }

  /** Whether this is a block of test examples rather than a client's data. */
  public boolean isTestBlock() {
    return testBlock;
  }

  public String clientId() {
    return clientId;
  }

  public int index() {
    return index;
  }

  public int rows() {
    return rows;
  }

  public int featureSize() {
    return featureSize;
  }

  public float[] features() {
    return features;
  }

  /** Labels of task {@code t}, one per row, NaN where the row has none. */
  public float[] labels(int t) {
    return labels[t];
  }

  public int taskCount() {
    return labels.length;
  }

  /** Number of rows that carry a label for task {@code t}. */
  public int labelledRows(int t) {
    int count = 0;
    for (float label : labels[t]) {
      if (!Float.isNaN(label)) {
        count++;
      }
    }
    return count;
  }
}
