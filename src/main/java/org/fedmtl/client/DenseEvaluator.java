package org.fedmtl.client;

import java.util.List;
import org.fedmtl.data.ClientShard;
import org.fedmtl.model.DenseTopology;
import org.fedmtl.tasks.TaskEvaluation;
import org.fedmtl.tasks.TaskSpec;

/**
 * Evaluation of dense ({@code mlp}) multi-task networks on plain Java arrays, the forward pass
 * of {@link DenseLocalTrainer} laid out for many examples at once: activations are feature-major
 * (one array per unit, over {@value #BLOCK} examples), so each inner loop is an axpy over the
 * examples, as long as the block whatever the layer widths, which C2 vectorises. Each output is
 * summed in the same order as in training (bias, then inputs in order), so the two agree. Not
 * thread-safe; reused for every block a Spark task evaluates.
 */
public final class DenseEvaluator {
  static final int BLOCK = 256;

  private final List<TaskSpec> tasks;
  private final List<DenseTopology.Layer> backbone;
  private final List<List<DenseTopology.Layer>> heads;
  private final float[][][] backboneActivations;
  private final float[][][][] headActivations;
  private final float[] row;

  public DenseEvaluator(DenseTopology topology, List<TaskSpec> tasks) {
    this.tasks = List.copyOf(tasks);
    this.backbone = topology.backbone();
    this.heads = topology.heads();
    backboneActivations = new float[backbone.size() + 1][][];
    backboneActivations[0] = new float[backbone.get(0).inputs()][BLOCK];
    for (int l = 0; l < backbone.size(); l++) {
      backboneActivations[l + 1] = new float[backbone.get(l).outputs()][BLOCK];
    }
    headActivations = new float[heads.size()][][][];
    for (int t = 0; t < heads.size(); t++) {
      headActivations[t] = new float[heads.get(t).size()][][];
      for (int l = 0; l < heads.get(t).size(); l++) {
        headActivations[t][l] = new float[heads.get(t).get(l).outputs()][BLOCK];
      }
    }
    row = new float[topology.maxWidth()];
  }

  /** Evaluates {@code parameters} (the flat vector in DL4J's layout) on {@code block}. */
  public TaskEvaluation evaluate(ClientShard block, float[] parameters) {
    TaskEvaluation evaluation = new TaskEvaluation(tasks);
    int featureSize = block.featureSize();
    float[] features = block.features();
    float[][] input = backboneActivations[0];
    for (int from = 0; from < block.rows(); from += BLOCK) {
      int count = Math.min(block.rows() - from, BLOCK);
      for (int r = 0; r < count; r++) {
        int offset = (from + r) * featureSize;
        for (int i = 0; i < featureSize; i++) {
          input[i][r] = features[offset + i];
        }
      }
      for (int l = 0; l < backbone.size(); l++) {
        forward(backbone.get(l), parameters, backboneActivations[l], backboneActivations[l + 1],
            count, true);
      }
      for (int t = 0; t < tasks.size(); t++) {
        List<DenseTopology.Layer> head = heads.get(t);
        float[][] in = backboneActivations[backbone.size()];
        for (int l = 0; l < head.size(); l++) {
          forward(head.get(l), parameters, in, headActivations[t][l], count,
              l < head.size() - 1);
          in = headActivations[t][l];
        }
        int width = head.get(head.size() - 1).outputs();
        float[] labels = block.labels(t);
        for (int r = 0; r < count; r++) {
          float label = labels[from + r];
          if (Float.isNaN(label)) {
            continue;
          }
          for (int c = 0; c < width; c++) {
            row[c] = in[c][r];
          }
          evaluation.add(t, label, row, 0);
        }
      }
    }
    return evaluation;
  }

  /** out_j = b_j + sum_i w_ij in_i for every example of the block, then ReLU if asked. */
  private static void forward(DenseTopology.Layer layer, float[] parameters, float[][] in,
      float[][] out, int count, boolean relu) {
    int inputs = layer.inputs();
    for (int j = 0; j < layer.outputs(); j++) {
      float[] y = out[j];
      java.util.Arrays.fill(y, 0, count, parameters[layer.biasOffset() + j]);
      int column = layer.weightOffset() + j * inputs;
      for (int i = 0; i < inputs; i++) {
        float w = parameters[column + i];
        float[] x = in[i];
        for (int r = 0; r < count; r++) {
          y[r] += x[r] * w;
        }
      }
      if (relu) {
        for (int r = 0; r < count; r++) {
          if (y[r] < 0) {
            y[r] = 0;
          }
        }
      }
    }
  }
}
