package org.fedmtl.client;

import java.util.List;
import org.fedmtl.data.ClientShard;
import org.fedmtl.model.DenseTopology;
import org.fedmtl.tasks.TaskEvaluation;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;

/**
 * Local training of dense ({@code mlp}) multi-task networks on plain Java arrays: the same
 * network, objective and optimiser as {@link LocalTrainer}, computed directly on the flat
 * parameter vector in DL4J's layout, without a framework call per operation. For the small
 * networks that federated clients train, a DL4J step costs milliseconds of framework overhead;
 * this engine does the arithmetic alone. {@code LocalTrainerEquivalenceTest} holds it to DL4J's
 * results.
 *
 * <p>The objective is sum_t lambda_t L_t, each L_t averaged over the mini-batch (rows without the
 * task's label add zero but still count in the batch size, as in DL4J): softmax cross-entropy for
 * classification, squared error over the outputs for regression. Adam (Kingma and Ba, "Adam: a
 * method for stochastic optimization", ICLR 2015) follows DL4J's form: the step is
 * lr sqrt(1 - beta2^t) / (1 - beta1^t) m / (sqrt(v) + eps); plain SGD is w -= lr g.
 * Not thread-safe; reused for every client a Spark task trains.
 */
public final class DenseLocalTrainer implements LocalTraining {
  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double EPSILON = 1e-8;
  private static final double LOG_FLOOR = 1e-10;

  private final DenseTopology topology;
  private final List<TaskSpec> tasks;
  private final LocalTrainingSpec spec;
  private final boolean adam;
  private final double learningRate;

  private float[] parameters;
  private float[] gradient;
  private float[] firstMoment;
  private float[] secondMoment;
  /** Activations per backbone layer (index 0: the input) and per head layer. */
  private final float[][] backboneActivations;
  private final float[][][] headActivations;
  private final float[] delta;
  private final float[] nextDelta;
  private final float[] backboneDelta;
  private final float[] rowMajor;

  public DenseLocalTrainer(DenseTopology topology, List<TaskSpec> tasks, LocalTrainingSpec spec,
      String optimizer, double learningRate) {
    this.topology = topology;
    this.tasks = List.copyOf(tasks);
    this.spec = spec;
    this.adam = optimizer.equals("adam");
    this.learningRate = learningRate;
    int batch = spec.batchSize();
    int width = topology.maxWidth();
    List<DenseTopology.Layer> backbone = topology.backbone();
    backboneActivations = new float[backbone.size() + 1][];
    backboneActivations[0] = new float[batch * backbone.get(0).inputs()];
    for (int l = 0; l < backbone.size(); l++) {
      backboneActivations[l + 1] = new float[batch * backbone.get(l).outputs()];
    }
    headActivations = new float[tasks.size()][][];
    for (int t = 0; t < tasks.size(); t++) {
      List<DenseTopology.Layer> head = topology.heads().get(t);
      headActivations[t] = new float[head.size()][];
      for (int l = 0; l < head.size(); l++) {
        headActivations[t][l] = new float[batch * head.get(l).outputs()];
      }
    }
    delta = new float[batch * width];
    nextDelta = new float[batch * width];
    backboneDelta = new float[batch * width];
    rowMajor = new float[width * width];
  }

  @Override
  public LocalResult train(ClientShard shard, float[] globalParameters, long streamSeed) {
    reset(globalParameters);
    return LocalEpochs.run(shard, tasks.size(), spec, streamSeed,
        (order, from, to, iteration) -> step(shard, order, from, to, iteration),
        () -> parameters.clone());
  }

  /**
   * Evaluates {@code parameters} on {@code block}, mini-batch by mini-batch, with the same
   * forward pass training uses.
   */
  public TaskEvaluation evaluate(ClientShard block, float[] parameters) {
    reset(parameters);
    TaskEvaluation evaluation = new TaskEvaluation(tasks);
    int[] order = new int[block.rows()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    List<DenseTopology.Layer> backbone = topology.backbone();
    int featureSize = block.featureSize();
    for (int from = 0; from < block.rows(); from += spec.batchSize()) {
      int batch = Math.min(block.rows(), from + spec.batchSize()) - from;
      System.arraycopy(block.features(), from * featureSize, backboneActivations[0], 0,
          batch * featureSize);
      for (int l = 0; l < backbone.size(); l++) {
        forward(backbone.get(l), backboneActivations[l], backboneActivations[l + 1], batch,
            true);
      }
      for (int t = 0; t < tasks.size(); t++) {
        List<DenseTopology.Layer> head = topology.heads().get(t);
        float[] in = backboneActivations[backbone.size()];
        for (int l = 0; l < head.size(); l++) {
          forward(head.get(l), in, headActivations[t][l], batch, l < head.size() - 1);
          in = headActivations[t][l];
        }
        int width = head.get(head.size() - 1).outputs();
        float[] labels = block.labels(t);
        for (int r = 0; r < batch; r++) {
          if (!Float.isNaN(labels[from + r])) {
            evaluation.add(t, labels[from + r], in, r * width);
          }
        }
      }
    }
    return evaluation;
  }

  private void reset(float[] globalParameters) {
    if (parameters == null || parameters.length != globalParameters.length) {
      parameters = new float[globalParameters.length];
      gradient = new float[globalParameters.length];
      firstMoment = new float[globalParameters.length];
      secondMoment = new float[globalParameters.length];
    }
    System.arraycopy(globalParameters, 0, parameters, 0, parameters.length);
    java.util.Arrays.fill(firstMoment, 0f);
    java.util.Arrays.fill(secondMoment, 0f);
  }

  /** One optimiser step on rows {@code order[from..to)}; returns the mini-batch loss. */
  private double step(ClientShard shard, int[] order, int from, int to, long iteration) {
    int batch = to - from;
    int featureSize = shard.featureSize();
    float[] input = backboneActivations[0];
    for (int r = 0; r < batch; r++) {
      System.arraycopy(shard.features(), order[from + r] * featureSize, input, r * featureSize,
          featureSize);
    }
    List<DenseTopology.Layer> backbone = topology.backbone();
    for (int l = 0; l < backbone.size(); l++) {
      forward(backbone.get(l), backboneActivations[l], backboneActivations[l + 1], batch, true);
    }
    float[] shared = backboneActivations[backbone.size()];
    int sharedWidth = backbone.get(backbone.size() - 1).outputs();

    java.util.Arrays.fill(gradient, 0f);
    java.util.Arrays.fill(backboneDelta, 0, batch * sharedWidth, 0f);
    double loss = 0;
    for (int t = 0; t < tasks.size(); t++) {
      loss += headForwardBackward(t, shard, order, from, batch, shared, sharedWidth);
    }

    float[] upstream = backboneDelta;
    for (int l = backbone.size() - 1; l >= 0; l--) {
      DenseTopology.Layer layer = backbone.get(l);
      reluBackward(backboneActivations[l + 1], upstream, batch * layer.outputs());
      accumulateGradient(layer, backboneActivations[l], upstream, batch);
      if (l > 0) {
        propagate(layer, upstream, nextDelta, batch);
        System.arraycopy(nextDelta, 0, delta, 0, batch * layer.inputs());
        upstream = delta;
      }
    }

    apply(batch, iteration);
    return loss;
  }

  /** Forward and backward through task {@code t}'s head; adds into the backbone's delta. */
  private double headForwardBackward(int t, ClientShard shard, int[] order, int from, int batch,
      float[] shared, int sharedWidth) {
    TaskSpec task = tasks.get(t);
    List<DenseTopology.Layer> head = topology.heads().get(t);
    float[][] activations = headActivations[t];
    float[] in = shared;
    for (int l = 0; l < head.size(); l++) {
      forward(head.get(l), in, activations[l], batch, l < head.size() - 1);
      in = activations[l];
    }

    DenseTopology.Layer output = head.get(head.size() - 1);
    int width = output.outputs();
    float[] out = activations[head.size() - 1];
    float[] labels = shard.labels(t);
    double weight = task.lossWeight();
    double loss = 0;
    for (int r = 0; r < batch; r++) {
      float label = labels[order[from + r]];
      int row = r * width;
      if (task.type() == TaskType.CLASSIFICATION) {
        softmax(out, row, width);
        if (Float.isNaN(label)) {
          java.util.Arrays.fill(nextDelta, row, row + width, 0f);
          continue;
        }
        int target = (int) label;
        loss -= weight * Math.log(Math.max(out[row + target], LOG_FLOOR));
        for (int c = 0; c < width; c++) {
          nextDelta[row + c] = (float) (weight * (out[row + c] - (c == target ? 1 : 0)));
        }
      } else {
        if (Float.isNaN(label)) {
          java.util.Arrays.fill(nextDelta, row, row + width, 0f);
          continue;
        }
        for (int c = 0; c < width; c++) {
          double error = out[row + c] - label;
          loss += weight * error * error / width;
          nextDelta[row + c] = (float) (2 * weight * error / width);
        }
      }
    }

    float[] upstream = nextDelta;
    for (int l = head.size() - 1; l >= 0; l--) {
      DenseTopology.Layer layer = head.get(l);
      float[] layerInput = l == 0 ? shared : activations[l - 1];
      if (l < head.size() - 1) {
        reluBackward(activations[l], upstream, batch * layer.outputs());
      }
      accumulateGradient(layer, layerInput, upstream, batch);
      float[] target = upstream == nextDelta ? delta : nextDelta;
      propagate(layer, upstream, target, batch);
      if (l == 0) {
        for (int i = 0; i < batch * sharedWidth; i++) {
          backboneDelta[i] += target[i];
        }
      } else {
        upstream = target;
      }
    }
    return loss / batch;
  }

  /**
   * out = in W + b, then ReLU if asked. The weights are first copied row-major, so that the
   * inner loop is an axpy over contiguous memory (which the JIT vectorises) rather than a dot
   * product (a reduction it must keep in order); inputs that are 0 (after ReLU) are skipped.
   */
  private void forward(DenseTopology.Layer layer, float[] in, float[] out, int batch,
      boolean relu) {
    int inputs = layer.inputs();
    int outputs = layer.outputs();
    float[] p = parameters;
    float[] weights = rowMajor;
    for (int j = 0; j < outputs; j++) {
      int column = layer.weightOffset() + j * inputs;
      for (int i = 0; i < inputs; i++) {
        weights[i * outputs + j] = p[column + i];
      }
    }
    int bias = layer.biasOffset();
    for (int r = 0; r < batch; r++) {
      int inRow = r * inputs;
      int outRow = r * outputs;
      System.arraycopy(p, bias, out, outRow, outputs);
      for (int i = 0; i < inputs; i++) {
        float a = in[inRow + i];
        if (a == 0) {
          continue;
        }
        int weightRow = i * outputs;
        for (int j = 0; j < outputs; j++) {
          out[outRow + j] += a * weights[weightRow + j];
        }
      }
      if (relu) {
        for (int j = 0; j < outputs; j++) {
          if (out[outRow + j] < 0) {
            out[outRow + j] = 0;
          }
        }
      }
    }
  }

  /** Multiplies the upstream delta by ReLU's derivative (0 where the output was 0). */
  private static void reluBackward(float[] activation, float[] upstream, int count) {
    for (int i = 0; i < count; i++) {
      if (activation[i] <= 0) {
        upstream[i] = 0;
      }
    }
  }

  /** dW += in^T delta, db += sum of delta rows. */
  private void accumulateGradient(DenseTopology.Layer layer, float[] in, float[] upstream,
      int batch) {
    int inputs = layer.inputs();
    int outputs = layer.outputs();
    for (int r = 0; r < batch; r++) {
      int inRow = r * inputs;
      for (int j = 0; j < outputs; j++) {
        float d = upstream[r * outputs + j];
        if (d == 0) {
          continue;
        }
        int column = layer.weightOffset() + j * inputs;
        for (int i = 0; i < inputs; i++) {
          gradient[column + i] += in[inRow + i] * d;
        }
        gradient[layer.biasOffset() + j] += d;
      }
    }
  }

  /** target = delta W^T: the delta of the layer's input. */
  private void propagate(DenseTopology.Layer layer, float[] upstream, float[] target,
      int batch) {
    int inputs = layer.inputs();
    int outputs = layer.outputs();
    java.util.Arrays.fill(target, 0, batch * inputs, 0f);
    for (int r = 0; r < batch; r++) {
      int targetRow = r * inputs;
      for (int j = 0; j < outputs; j++) {
        float d = upstream[r * outputs + j];
        if (d == 0) {
          continue;
        }
        int column = layer.weightOffset() + j * inputs;
        for (int i = 0; i < inputs; i++) {
          target[targetRow + i] += d * parameters[column + i];
        }
      }
    }
  }

  /** Averages the gradient over the mini-batch and takes the optimiser step. */
  private void apply(int batch, long iteration) {
    float[] p = parameters;
    float scale = 1f / batch;
    if (!adam) {
      float rate = (float) learningRate;
      for (int i = 0; i < p.length; i++) {
        p[i] -= rate * gradient[i] * scale;
      }
      return;
    }
    double alpha = learningRate * Math.sqrt(1 - Math.pow(BETA2, iteration))
        / (1 - Math.pow(BETA1, iteration));
    float beta1 = (float) BETA1;
    float beta2 = (float) BETA2;
    for (int i = 0; i < p.length; i++) {
      float g = gradient[i] * scale;
      float m = beta1 * firstMoment[i] + (1 - beta1) * g;
      float v = beta2 * secondMoment[i] + (1 - beta2) * g * g;
      firstMoment[i] = m;
      secondMoment[i] = v;
      p[i] -= (float) (alpha * m / (Math.sqrt(v) + EPSILON));
    }
  }

  private static void softmax(float[] values, int offset, int width) {
    float max = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < width; c++) {
      max = Math.max(max, values[offset + c]);
    }
    double sum = 0;
    for (int c = 0; c < width; c++) {
      double e = Math.exp(values[offset + c] - max);
      values[offset + c] = (float) e;
      sum += e;
    }
    for (int c = 0; c < width; c++) {
      values[offset + c] = (float) (values[offset + c] / sum);
    }
  }
}
