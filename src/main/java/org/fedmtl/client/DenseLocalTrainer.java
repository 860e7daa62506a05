package org.fedmtl.client;

import java.util.List;
import org.fedmtl.data.ClientShard;
import org.fedmtl.model.DenseTopology;
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
 * <p>Each layer keeps its weights, their transpose and its gradient as one array per row, and
 * activations and deltas are one array per example: every inner loop then runs over a whole
 * array from index 0, which C2 turns into SIMD code (it does not vectorise loops over two arrays
 * at different offsets, since they might be the same array). Sums run in the same order as a
 * plain loop over the flat vector, so the layout does not change a single bit of the result.
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

  private final List<TaskSpec> tasks;
  private final LocalTrainingSpec spec;
  private final boolean adam;
  private final double learningRate;
  private final Layer[] backbone;
  private final Layer[][] heads;

  private float[] parameters;
  private float[] gradient;
  private float[] firstMoment;
  private float[] secondMoment;
  /** Activations, one row per example: per backbone layer (index 0: the input), per head layer. */
  private final float[][][] backboneActivations;
  private final float[][][][] headActivations;
  private final float[][] delta;
  private final float[][] nextDelta;
  private final float[][] backboneDelta;

  public DenseLocalTrainer(DenseTopology topology, List<TaskSpec> tasks, LocalTrainingSpec spec,
      String optimizer, double learningRate) {
    this.tasks = List.copyOf(tasks);
    this.spec = spec;
    this.adam = optimizer.equals("adam");
    this.learningRate = learningRate;
    int batch = spec.batchSize();
    int width = topology.maxWidth();
    backbone = topology.backbone().stream().map(Layer::new).toArray(Layer[]::new);
    heads = topology.heads().stream()
        .map(head -> head.stream().map(Layer::new).toArray(Layer[]::new)).toArray(Layer[][]::new);
    backboneActivations = new float[backbone.length + 1][][];
    backboneActivations[0] = new float[batch][backbone[0].inputs];
    for (int l = 0; l < backbone.length; l++) {
      backboneActivations[l + 1] = new float[batch][backbone[l].outputs];
    }
    headActivations = new float[heads.length][][][];
    for (int t = 0; t < heads.length; t++) {
      headActivations[t] = new float[heads[t].length][][];
      for (int l = 0; l < heads[t].length; l++) {
        headActivations[t][l] = new float[batch][heads[t][l].outputs];
      }
    }
    delta = new float[batch][width];
    nextDelta = new float[batch][width];
    backboneDelta = new float[batch][width];
  }

  @Override
  public LocalResult train(ClientShard shard, float[] globalParameters, long streamSeed) {
    reset(globalParameters);
    return LocalEpochs.run(shard, tasks.size(), spec, streamSeed,
        (order, from, to, iteration) -> step(shard, order, from, to, iteration),
        () -> parameters.clone());
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
    loadLayers();
  }

  private void loadLayers() {
    for (Layer layer : backbone) {
      layer.load(parameters);
    }
    for (Layer[] head : heads) {
      for (Layer layer : head) {
        layer.load(parameters);
      }
    }
  }

  /** One optimiser step on rows {@code order[from..to)}; returns the mini-batch loss. */
  private double step(ClientShard shard, int[] order, int from, int to, long iteration) {
    int batch = to - from;
    forwardBackbone(shard, order, from, batch);
    double loss = 0;
    for (int t = 0; t < tasks.size(); t++) {
      loss += headForwardBackward(t, shard, order, from, batch, tasks.get(t).lossWeight());
    }
    backwardBackbone(batch);
    apply(batch, iteration);
    return loss;
  }

  @Override
  public TaskAffinity.Probe probe(ClientShard shard, int[] rows) {
    int batch = rows.length;
    if (batch > spec.batchSize()) {
      throw new IllegalArgumentException("a probe of " + batch + " rows; this engine holds "
          + "batches of up to " + spec.batchSize());
    }
    int[] labelled = TaskAffinity.labelledRows(shard, rows);
    return new TaskAffinity.Probe() {
      @Override
      public double[] losses(float[] at) {
        load(at);
        forwardBackbone(shard, rows, 0, batch);
        double[] losses = new double[tasks.size()];
        for (int t = 0; t < tasks.size(); t++) {
          losses[t] = labelled[t] == 0 ? Double.NaN
              : headForwardBackward(t, shard, rows, 0, batch, 1) * batch / labelled[t];
        }
        return losses;
      }

      @Override
      public float[] gradient(float[] at, int task) {
        load(at);
        forwardBackbone(shard, rows, 0, batch);
        headForwardBackward(task, shard, rows, 0, batch, 1);
        backwardBackbone(batch);
        float[] result = new float[at.length];
        storeGradients(result);
        float scale = 1f / labelled[task];
        for (int i = 0; i < result.length; i++) {
          result[i] *= scale;
        }
        return result;
      }
    };
  }

  private void load(float[] at) {
    if (parameters == null || parameters.length != at.length) {
      reset(at);
    } else {
      System.arraycopy(at, 0, parameters, 0, at.length);
      loadLayers();
    }
  }

  /** Rows {@code order[from..from + batch)} through the backbone; clears the backbone delta. */
  private void forwardBackbone(ClientShard shard, int[] order, int from, int batch) {
    int featureSize = shard.featureSize();
    float[][] input = backboneActivations[0];
    for (int r = 0; r < batch; r++) {
      System.arraycopy(shard.features(), order[from + r] * featureSize, input[r], 0,
          featureSize);
    }
    for (int l = 0; l < backbone.length; l++) {
      forward(backbone[l], backboneActivations[l], backboneActivations[l + 1], batch, true);
    }
    int sharedWidth = backbone[backbone.length - 1].outputs;
    for (int r = 0; r < batch; r++) {
      java.util.Arrays.fill(backboneDelta[r], 0, sharedWidth, 0f);
    }
  }

  /** Back-propagates the heads' summed delta through the backbone, adding to its gradient. */
  private void backwardBackbone(int batch) {
    float[][] upstream = backboneDelta;
    for (int l = backbone.length - 1; l >= 0; l--) {
      Layer layer = backbone[l];
      reluBackward(backboneActivations[l + 1], upstream, batch, layer.outputs);
      layer.accumulateGradient(backboneActivations[l], upstream, batch);
      if (l > 0) {
        layer.propagate(upstream, nextDelta, batch);
        for (int r = 0; r < batch; r++) {
          System.arraycopy(nextDelta[r], 0, delta[r], 0, layer.inputs);
        }
        upstream = delta;
      }
    }
  }

  /**
   * Forward and backward through task {@code t}'s head, its loss weighted by {@code weight};
   * adds into the backbone's delta and returns the weighted loss summed over the batch's
   * labelled rows, divided by the batch size.
   */
  private double headForwardBackward(int t, ClientShard shard, int[] order, int from, int batch,
      double weight) {
    float[][] shared = backboneActivations[backbone.length];
    int sharedWidth = backbone[backbone.length - 1].outputs;
    TaskSpec task = tasks.get(t);
    boolean classification = task.type() == TaskType.CLASSIFICATION;
    Layer[] head = heads[t];
    float[][][] activations = headActivations[t];
    float[][] in = shared;
    for (int l = 0; l < head.length; l++) {
      forward(head[l], in, activations[l], batch, l < head.length - 1);
      in = activations[l];
    }

    int width = head[head.length - 1].outputs;
    float[][] out = activations[head.length - 1];
    float[] labels = shard.labels(t);
    double loss = 0;
    for (int r = 0; r < batch; r++) {
      float label = labels[order[from + r]];
      float[] row = out[r];
      float[] rowDelta = nextDelta[r];
      if (classification) {
        softmax(row, width);
      }
      if (Float.isNaN(label)) {
        java.util.Arrays.fill(rowDelta, 0, width, 0f);
        continue;
      }
      if (classification) {
        int target = (int) label;
        loss -= weight * Math.log(Math.max(row[target], LOG_FLOOR));
        for (int c = 0; c < width; c++) {
          rowDelta[c] = (float) (weight * (row[c] - (c == target ? 1 : 0)));
        }
      } else {
        for (int c = 0; c < width; c++) {
          double error = row[c] - label;
          loss += weight * error * error / width;
          rowDelta[c] = (float) (2 * weight * error / width);
        }
      }
    }

    float[][] upstream = nextDelta;
    for (int l = head.length - 1; l >= 0; l--) {
      Layer layer = head[l];
      float[][] layerInput = l == 0 ? shared : activations[l - 1];
      if (l < head.length - 1) {
        reluBackward(activations[l], upstream, batch, layer.outputs);
      }
      layer.accumulateGradient(layerInput, upstream, batch);
      float[][] target = upstream == nextDelta ? delta : nextDelta;
      layer.propagate(upstream, target, batch);
      if (l == 0) {
        for (int r = 0; r < batch; r++) {
          float[] sum = backboneDelta[r];
          float[] add = target[r];
          for (int i = 0; i < sharedWidth; i++) {
            sum[i] += add[i];
          }
        }
      } else {
        upstream = target;
      }
    }
    return loss / batch;
  }

  /**
   * out = in W + b, then ReLU if asked: per example, an axpy of each weight row (of the
   * transpose) scaled by one input; inputs that are 0 (after ReLU) are skipped.
   */
  private static void forward(Layer layer, float[][] in, float[][] out, int batch,
      boolean relu) {
    int inputs = layer.inputs;
    int outputs = layer.outputs;
    for (int r = 0; r < batch; r++) {
      float[] x = in[r];
      float[] y = out[r];
      System.arraycopy(layer.bias, 0, y, 0, outputs);
      for (int i = 0; i < inputs; i++) {
        float a = x[i];
        if (a == 0) {
          continue;
        }
        float[] weights = layer.transposed[i];
        for (int j = 0; j < outputs; j++) {
          y[j] += a * weights[j];
        }
      }
      if (relu) {
        for (int j = 0; j < outputs; j++) {
          if (y[j] < 0) {
            y[j] = 0;
          }
        }
      }
    }
  }

  /** Multiplies the upstream delta by ReLU's derivative (0 where the output was 0). */
  private static void reluBackward(float[][] activation, float[][] upstream, int batch,
      int width) {
    for (int r = 0; r < batch; r++) {
      float[] a = activation[r];
      float[] d = upstream[r];
      for (int i = 0; i < width; i++) {
        if (a[i] <= 0) {
          d[i] = 0;
        }
      }
    }
  }

  /** Averages the gradient over the mini-batch and takes the optimiser step. */
  private void apply(int batch, long iteration) {
    storeGradients(gradient);
    float[] p = parameters;
    float scale = 1f / batch;
    if (!adam) {
      float rate = (float) learningRate;
      for (int i = 0; i < p.length; i++) {
        p[i] -= rate * gradient[i] * scale;
      }
    } else {
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
    loadLayers();
  }

  /** Copies every layer's gradient into its place in {@code target}. */
  private void storeGradients(float[] target) {
    for (Layer layer : backbone) {
      layer.storeGradient(target);
    }
    for (Layer[] head : heads) {
      for (Layer layer : head) {
        layer.storeGradient(target);
      }
    }
  }

  private static void softmax(float[] values, int width) {
    float max = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < width; c++) {
      max = Math.max(max, values[c]);
    }
    double sum = 0;
    for (int c = 0; c < width; c++) {
      double e = Math.exp(values[c] - max);
      values[c] = (float) e;
      sum += e;
    }
    for (int c = 0; c < width; c++) {
      values[c] = (float) (values[c] / sum);
    }
  }

  /**
   * A dense layer's parameters copied out of the flat vector, and its gradient, one array per
   * row: {@code weights[j]} holds output j's weights (DL4J's column j), {@code transposed[i]}
   * input i's.
   */
  private static final class Layer {
    final int inputs;
    final int outputs;
    final int weightOffset;
    final int biasOffset;
    final float[][] weights;
    final float[][] transposed;
    final float[] bias;
    final float[][] weightGradient;
    final float[] biasGradient;

    Layer(DenseTopology.Layer layer) {
      inputs = layer.inputs();
      outputs = layer.outputs();
      weightOffset = layer.weightOffset();
      biasOffset = layer.biasOffset();
      weights = new float[outputs][inputs];
      transposed = new float[inputs][outputs];
      bias = new float[outputs];
      weightGradient = new float[outputs][inputs];
      biasGradient = new float[outputs];
    }

    /** Copies this layer's parameters out of the flat vector and clears its gradient. */
    void load(float[] parameters) {
      for (int j = 0; j < outputs; j++) {
        float[] column = weights[j];
        System.arraycopy(parameters, weightOffset + j * inputs, column, 0, inputs);
        for (int i = 0; i < inputs; i++) {
          transposed[i][j] = column[i];
        }
        java.util.Arrays.fill(weightGradient[j], 0f);
      }
      System.arraycopy(parameters, biasOffset, bias, 0, outputs);
      java.util.Arrays.fill(biasGradient, 0f);
    }

    /** Copies this layer's gradient into its place in the flat gradient vector. */
    void storeGradient(float[] gradient) {
      for (int j = 0; j < outputs; j++) {
        System.arraycopy(weightGradient[j], 0, gradient, weightOffset + j * inputs, inputs);
      }
      System.arraycopy(biasGradient, 0, gradient, biasOffset, outputs);
    }

    /** dW += in^T delta, db += sum of delta rows. */
    void accumulateGradient(float[][] in, float[][] upstream, int batch) {
      for (int r = 0; r < batch; r++) {
        float[] x = in[r];
        float[] d = upstream[r];
        for (int j = 0; j < outputs; j++) {
          float dj = d[j];
          if (dj == 0) {
            continue;
          }
          float[] g = weightGradient[j];
          for (int i = 0; i < inputs; i++) {
            g[i] += x[i] * dj;
          }
          biasGradient[j] += dj;
        }
      }
    }

    /** target = delta W^T: the delta of the layer's input. */
    void propagate(float[][] upstream, float[][] target, int batch) {
      for (int r = 0; r < batch; r++) {
        float[] t = target[r];
        float[] d = upstream[r];
        java.util.Arrays.fill(t, 0, inputs, 0f);
        for (int j = 0; j < outputs; j++) {
          float dj = d[j];
          if (dj == 0) {
            continue;
          }
          float[] w = weights[j];
          for (int i = 0; i < inputs; i++) {
            t[i] += dj * w[i];
          }
        }
      }
    }
  }
}
