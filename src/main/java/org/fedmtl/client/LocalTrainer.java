package org.fedmtl.client;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fedmtl.data.ClientShard;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Local multi-task training of one client: start from the global parameters, run the configured
 * local epochs of mini-batch optimisation over the client's examples in an order drawn from the
 * client's random stream, return the new parameters.
 *
 * <p>One trainer holds one network and is reused for every client a Spark task trains; before each
 * client the parameters, the optimiser state (Adam's moments) and the iteration count are reset,
 * so a client trains exactly as on a freshly built network. Not thread-safe.
 */
public final class LocalTrainer implements LocalTraining {
  /** Probabilities are floored before their log, as in the dense engine. */
  private static final double LOG_FLOOR = 1e-10;

  private final ComputationGraph network;
  private final List<TaskSpec> tasks;
  private final LocalTrainingSpec spec;

  public LocalTrainer(ComputationGraph network, List<TaskSpec> tasks, LocalTrainingSpec spec) {
    this.network = network;
    this.tasks = List.copyOf(tasks);
    this.spec = spec;
  }

  @Override
  public LocalResult train(ClientShard shard, float[] globalParameters, long streamSeed) {
    reset(globalParameters);
    return LocalEpochs.run(shard, tasks.size(), spec, streamSeed, (order, from, to, step) -> {
      MultiDataSet batch = MiniBatches.batch(shard, tasks, order, from, to);
      network.fit(batch.getFeatures(), batch.getLabels(), null, batch.getLabelsMaskArrays());
      return network.score();
    }, () -> network.params().toFloatVector());
  }

  @Override
  public TaskAffinity.Probe probe(ClientShard shard, int[] batchRows) {
    // One row twice, as MiniBatches makes it: the same means, and a mask DL4J takes.
    int[] rows = batchRows.length == 1 ? new int[] {batchRows[0], batchRows[0]} : batchRows;
    MultiDataSet batch = MiniBatches.batch(shard, tasks, rows, 0, rows.length);
    int[] labelled = TaskAffinity.labelledRows(shard, rows);
    return new TaskAffinity.Probe() {
      @Override
      public double[] losses(float[] at) {
        network.params().assign(Nd4j.createFromArray(at));
        INDArray[] outputs = network.output(false, batch.getFeatures());
        double[] losses = new double[tasks.size()];
        for (int t = 0; t < tasks.size(); t++) {
          losses[t] = labelled[t] == 0 ? Double.NaN
              : unweightedLoss(tasks.get(t), outputs[t], shard.labels(t), rows) / labelled[t];
        }
        return losses;
      }

      @Override
      public float[] gradient(float[] at, int task) {
        network.params().assign(Nd4j.createFromArray(at));
        INDArray[] masks = new INDArray[tasks.size()];
        for (int t = 0; t < tasks.size(); t++) {
          masks[t] = t == task ? batch.getLabelsMaskArray(t) : Nd4j.zeros(rows.length, 1);
        }
        network.setInputs(batch.getFeatures());
        network.setLabels(batch.getLabels());
        network.setLayerMaskArrays(null, masks);
        network.computeGradientAndScore();
        float[] gradient = network.gradient().gradient().toFloatVector();
        network.clearLayerMaskArrays();
        // DL4J's gradient is of the weighted loss summed over the batch (its updater divides by
        // the batch size); the measure wants the task's own loss averaged over its labelled rows.
        float scale = (float) (1 / (tasks.get(task).lossWeight() * labelled[task]));
        for (int i = 0; i < gradient.length; i++) {
          gradient[i] *= scale;
        }
        return gradient;
      }
    };
  }

  /**
   * A task's loss summed over the labelled rows, from the network's outputs (softmax
   * probabilities or regression values), as the dense engine computes it.
   */
  private static double unweightedLoss(TaskSpec task, INDArray output, float[] labels,
      int[] rows) {
    float[][] values = output.toFloatMatrix();
    int width = task.outputSize();
    double loss = 0;
    for (int r = 0; r < rows.length; r++) {
      float label = labels[rows[r]];
      if (Float.isNaN(label)) {
        continue;
      }
      if (task.type() == TaskType.CLASSIFICATION) {
        loss -= Math.log(Math.max(values[r][(int) label], LOG_FLOOR));
      } else {
        for (int c = 0; c < width; c++) {
          double error = values[r][c] - label;
          loss += error * error / width;
        }
      }
    }
    return loss;
  }

  private void reset(float[] globalParameters) {
    INDArray parameters = network.params();
    parameters.assign(Nd4j.createFromArray(globalParameters));
    if (network.getUpdater() != null && network.getUpdater().getStateViewArray() != null) {
      network.getUpdater().getStateViewArray().assign(0);
    }
    network.getConfiguration().setIterationCount(0);
    network.getConfiguration().setEpochCount(0);
  }
}
