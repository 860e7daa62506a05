package org.fedmtl.client;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.fedmtl.data.ClientShard;
import org.fedmtl.tasks.TaskSpec;

/**
 * Inter-task affinity, the lookahead measure of Fifty et al., "Efficiently Identifying Task
 * Groupings for Multi-Task Learning" (NeurIPS 2021): how much a step of the shared parameters on
 * task i's loss alone changes task j's loss on the same batch,
 *
 * <pre>
 *   Z(i -> j) = 1 - L_j(theta_s - eta grad_s L_i, theta_j) / L_j(theta_s, theta_j)
 * </pre>
 *
 * <p>Positive: training on i lowers j's loss (i helps j); negative: it raises it. The losses are
 * the tasks' own, without their loss weights, each averaged over the rows of the batch that hold
 * its label; the step is a plain gradient step of size {@code eta} (the local learning rate) on
 * the shared parameters, the heads left as they are. A client measures it at the global model, on
 * one mini-batch drawn from its own stream, before it trains; the server averages the clients'
 * matrices. A cell is NaN where the batch lacks a label of i or of j, or task i has loss weight
 * 0 (it is not trained, so it takes no step).
 */
public final class TaskAffinity {
  /** What the measure needs from an engine, on one fixed batch of rows. */
  public interface Probe {
    /**
     * Per task, its loss at {@code parameters} averaged over the batch's rows that hold its label,
     * without the task's loss weight; NaN for a task without labels in the batch.
     */
    double[] losses(float[] parameters);

    /** The gradient of task {@code task}'s loss (as in {@link #losses}) for every parameter. */
    float[] gradient(float[] parameters, int task);
  }

  private TaskAffinity() {}

  /**
   * The rows of the batch a client measures on: the first {@code batchSize} of its rows in an
   * order drawn from {@code streamSeed}.
   */
  public static int[] batchRows(ClientShard shard, int batchSize, long streamSeed) {
    int[] order = new int[shard.rows()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    LocalEpochs.shuffle(order, new SplittableRandom(streamSeed));
    return Arrays.copyOf(order, Math.min(batchSize, order.length));
  }

  /** Per task, how many of {@code rows} hold its label. */
  static int[] labelledRows(ClientShard shard, int[] rows) {
    int[] labelled = new int[shard.taskCount()];
    for (int t = 0; t < labelled.length; t++) {
      for (int row : rows) {
        labelled[t] += Float.isNaN(shard.labels(t)[row]) ? 0 : 1;
      }
    }
    return labelled;
  }

  /**
   * The affinity matrix, row-major: cell {@code i * tasks + j} holds Z(i -> j).
   *
   * @param shared the shared parameters as index ranges [starts[r], ends[r])
   * @param stepSize eta, the size of the lookahead step
   */
  public static double[] measure(Probe probe, float[] parameters, int[] sharedStarts,
      int[] sharedEnds, double stepSize, List<TaskSpec> tasks) {
    int count = tasks.size();
    double[] affinity = new double[count * count];
    Arrays.fill(affinity, Double.NaN);
    double[] before = probe.losses(parameters);
    float[] lookahead = new float[parameters.length];
    for (int i = 0; i < count; i++) {
      if (Double.isNaN(before[i]) || tasks.get(i).lossWeight() == 0) {
        continue;
      }
      float[] gradient = probe.gradient(parameters, i);
      System.arraycopy(parameters, 0, lookahead, 0, parameters.length);
      for (int r = 0; r < sharedStarts.length; r++) {
        for (int k = sharedStarts[r]; k < sharedEnds[r]; k++) {
          lookahead[k] = (float) (parameters[k] - stepSize * gradient[k]);
        }
      }
      double[] after = probe.losses(lookahead);
      for (int j = 0; j < count; j++) {
        if (before[j] > 0) {
          affinity[i * count + j] = 1 - after[j] / before[j];
        }
      }
    }
    return affinity;
  }
}
