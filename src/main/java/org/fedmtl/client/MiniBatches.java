package org.fedmtl.client;

import org.fedmtl.data.ClientShard;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Turns rows of a client shard into DL4J multi-task mini-batches: one feature matrix, and per
 * task a label matrix (one-hot for classification) with a label mask that is 0 for rows without
 * that task's label, so those rows contribute nothing to that task's loss or gradient.
 */
public final class MiniBatches {
  private MiniBatches() {}

  public static MultiDataSet batch(ClientShard shard, List<TaskSpec> tasks, int[] rows, int from,
      int to) {
    if (to - from == 1) {
      // DL4J reads the mask of a one-row batch as a mask per output, which its softmax
      // cross-entropy refuses; the row twice is the same mean loss, gradient and step.
      return batch(shard, tasks, new int[] {rows[from], rows[from]}, 0, 2);
    }
    int size = to - from;
    int featureSize = shard.featureSize();
    float[] features = new float[size * featureSize];
    for (int r = 0; r < size; r++) {
      System.arraycopy(shard.features(), rows[from + r] * featureSize, features, r * featureSize,
          featureSize);
    }

    INDArray[] labels = new INDArray[tasks.size()];
    INDArray[] masks = new INDArray[tasks.size()];
    for (int t = 0; t < tasks.size(); t++) {
      TaskSpec task = tasks.get(t);
      int width = task.outputSize();
      float[] values = new float[size * width];
      float[] mask = new float[size];
      boolean complete = true;
      for (int r = 0; r < size; r++) {
        float label = shard.labels(t)[rows[from + r]];
        if (Float.isNaN(label)) {
          complete = false;
          continue;
        }
        mask[r] = 1f;
        if (task.type() == TaskType.CLASSIFICATION) {
          values[r * width + (int) label] = 1f;
        } else {
          values[r] = label;
        }
      }
      labels[t] = Nd4j.create(values, new long[] {size, width}, 'c');
      masks[t] = complete ? null : Nd4j.create(mask, new long[] {size, 1}, 'c');
    }

    INDArray input = Nd4j.create(features, new long[] {size, featureSize}, 'c');
    return new MultiDataSet(new INDArray[] {input}, labels, null, masks);
  }

  /** The feature rows {@code from..to} of {@code shard} as a matrix. */
  static INDArray features(ClientShard shard, int from, int to) {
    int featureSize = shard.featureSize();
    float[] features = new float[(to - from) * featureSize];
    System.arraycopy(shard.features(), from * featureSize, features, 0, features.length);
    return Nd4j.create(features, new long[] {to - from, featureSize}, 'c');
  }
}
