package org.fedmtl.client;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fedmtl.data.ClientShard;
import org.fedmtl.tasks.TaskEvaluation;
import org.fedmtl.tasks.TaskSpec;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Evaluates given parameters on a block of held-out examples, every task at once. */
public final class LocalEvaluator {
  private static final int BATCH = 1024;

  private final ComputationGraph network;
  private final List<TaskSpec> tasks;

  public LocalEvaluator(ComputationGraph network, List<TaskSpec> tasks) {
    this.network = network;
    this.tasks = List.copyOf(tasks);
  }

  /** Sets the parameters that following {@link #evaluate} calls use. */
  public void load(float[] parameters) {
    network.params().assign(Nd4j.createFromArray(parameters));
  }

  public TaskEvaluation evaluate(ClientShard block) {
    TaskEvaluation evaluation = new TaskEvaluation(tasks);
    for (int from = 0; from < block.rows(); from += BATCH) {
      int to = Math.min(block.rows(), from + BATCH);
      INDArray[] outputs = network.output(false, MiniBatches.features(block, from, to));
      for (int t = 0; t < tasks.size(); t++) {
        int width = tasks.get(t).outputSize();
        float[] values = outputs[t].dup('c').data().asFloat();
        float[] labels = block.labels(t);
        for (int r = 0; r < to - from; r++) {
          float label = labels[from + r];
          if (!Float.isNaN(label)) {
            evaluation.add(t, label, values, r * width);
          }
        }
      }
    }
    return evaluation;
  }
}
