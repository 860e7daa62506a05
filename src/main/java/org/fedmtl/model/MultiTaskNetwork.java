package org.fedmtl.model;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.fedmtl.aggregation.ParameterLayout;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

/**
 * Builds the hard-sharing multi-task network (Caruana, "Multitask learning", Machine Learning
 * 1997): one shared backbone feeding one head per task, as a DL4J {@link ComputationGraph} with
 * one output per task, in task order.
 *
 * <p>Weights start as PyTorch's layers do, uniform in +-1/sqrt(fan-in) (DL4J's {@code UNIFORM}),
 * so experiments ported from PyTorch start from the same distribution; biases start at zero.
 *
 * <p>The training objective is sum_t lambda_t L_t, the task losses weighted by their configured
 * loss weights. Each head's loss function carries its weight (a per-output weight vector of
 * constant lambda_t), so DL4J's sum of output losses is exactly the weighted objective. Examples
 * without a label for a task are masked out of that task's loss.
 */
public final class MultiTaskNetwork {
  /** Name of the parameter group holding the shared backbone. */
  public static final String BACKBONE_GROUP = "backbone";
  private static final String BACKBONE_PREFIX = "backbone-";

  private MultiTaskNetwork() {}

  /** The graph configuration; the same arguments always give the same initial parameters. */
  public static ComputationGraphConfiguration configuration(ModelSpec model, List<TaskSpec> tasks,
      long seed) {
    ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(updater(model))
        .weightInit(WeightInit.UNIFORM)
        .graphBuilder()
        .addInputs("input");

    String last = "input";
    int layer = 0;
    if (model.backbone().equals("lenet")) {
      for (int channels : model.convolutionChannels()) {
        String convolution = BACKBONE_PREFIX + layer++;
        graph.addLayer(convolution, new ConvolutionLayer.Builder(5, 5).nOut(channels)
            .activation(Activation.RELU).build(), last);
        String pooling = BACKBONE_PREFIX + layer++;
        graph.addLayer(pooling, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
            .kernelSize(2, 2).stride(2, 2).build(), convolution);
        last = pooling;
      }
    }
    for (int width : model.backboneLayers()) {
      String dense = BACKBONE_PREFIX + layer++;
      graph.addLayer(dense, new DenseLayer.Builder().nOut(width).activation(Activation.RELU)
          .build(), last);
      last = dense;
    }

    String[] outputs = new String[tasks.size()];
    for (int t = 0; t < tasks.size(); t++) {
      TaskSpec task = tasks.get(t);
      String headInput = last;
      for (int h = 0; h < model.headLayers().size(); h++) {
        String hidden = task.name() + "-hidden-" + h;
        graph.addLayer(hidden, new DenseLayer.Builder().nOut(model.headLayers().get(h))
            .activation(Activation.RELU).build(), headInput);
        headInput = hidden;
      }
      graph.addLayer(task.name(), outputLayer(task), headInput);
      outputs[t] = task.name();
    }
    graph.setOutputs(outputs);
    graph.setInputTypes(inputType(model));
    return graph.build();
  }

  /** A network with freshly initialised parameters. */
  public static ComputationGraph create(ModelSpec model, List<TaskSpec> tasks, long seed) {
    ComputationGraph network = new ComputationGraph(configuration(model, tasks, seed));
    network.init();
    return network;
  }

  /**
   * The parameter groups of {@code network}: the backbone, then one group per task head named
   * {@code head:<task>}.
   */
  public static ParameterLayout layout(ComputationGraph network, List<TaskSpec> tasks) {
    INDArray flat = network.params();
    List<int[]> backbone = new ArrayList<>();
    List<List<int[]>> heads = new ArrayList<>();
    for (int t = 0; t < tasks.size(); t++) {
      heads.add(new ArrayList<>());
    }
    for (org.deeplearning4j.nn.api.Layer layer : network.getLayers()) {
      long count = layer.numParams();
      if (count == 0) {
        continue;
      }
      String name = layer.conf().getLayer().getLayerName();
      int start = (int) (layer.params().offset() - flat.offset());
      int[] range = {start, start + (int) count};
      int owner = ownerTask(name, tasks);
      (owner < 0 ? backbone : heads.get(owner)).add(range);
    }
    List<ParameterLayout.Group> groups = new ArrayList<>();
    groups.add(group(BACKBONE_GROUP, null, backbone));
    for (int t = 0; t < tasks.size(); t++) {
      groups.add(group("head:" + tasks.get(t).name(), tasks.get(t).name(), heads.get(t)));
    }
    return new ParameterLayout((int) flat.length(), groups);
  }

  /**
   * The dense layers of an {@code mlp} network with their parameter offsets.
   *
   * @throws IllegalArgumentException for a network with other than dense layers
   */
  public static DenseTopology denseTopology(ComputationGraph network, ModelSpec model,
      List<TaskSpec> tasks) {
    if (!model.backbone().equals("mlp")) {
      throw new IllegalArgumentException("only mlp networks are dense, not " + model.backbone());
    }
    List<DenseTopology.Layer> backbone = new ArrayList<>();
    for (int l = 0; l < model.backboneLayers().size(); l++) {
      backbone.add(denseLayer(network, BACKBONE_PREFIX + l));
    }
    List<List<DenseTopology.Layer>> heads = new ArrayList<>();
    for (TaskSpec task : tasks) {
      List<DenseTopology.Layer> head = new ArrayList<>();
      for (int h = 0; h < model.headLayers().size(); h++) {
        head.add(denseLayer(network, task.name() + "-hidden-" + h));
      }
      head.add(denseLayer(network, task.name()));
      heads.add(head);
    }
    return new DenseTopology(backbone, heads);
  }

  private static DenseTopology.Layer denseLayer(ComputationGraph network, String name) {
    org.deeplearning4j.nn.api.Layer layer = network.getLayer(name);
    INDArray weights = layer.getParam("W");
    INDArray bias = layer.getParam("b");
    long base = network.params().offset();
    return new DenseTopology.Layer((int) weights.size(0), (int) weights.size(1),
        (int) (weights.offset() - base), (int) (bias.offset() - base));
  }

  private static int ownerTask(String layerName, List<TaskSpec> tasks) {
    if (layerName.startsWith(BACKBONE_PREFIX)) {
      return -1;
    }
    for (int t = 0; t < tasks.size(); t++) {
      String task = tasks.get(t).name();
      if (layerName.equals(task) || layerName.startsWith(task + "-hidden-")) {
        return t;
      }
    }
    throw new IllegalStateException("layer " + layerName + " belongs to no parameter group");
  }

  private static ParameterLayout.Group group(String name, String task, List<int[]> ranges) {
    int[] starts = ranges.stream().mapToInt(r -> r[0]).toArray();
    int[] ends = ranges.stream().mapToInt(r -> r[1]).toArray();
    return new ParameterLayout.Group(name, task, starts, ends);
  }

  private static OutputLayer outputLayer(TaskSpec task) {
    double[] weights = new double[task.outputSize()];
    java.util.Arrays.fill(weights, task.lossWeight());
    boolean classification = task.type() == TaskType.CLASSIFICATION;
    ILossFunction loss = classification
        ? new LossMCXENT(Nd4j.createFromArray(weights).castTo(DataType.FLOAT))
        : new LossMSE(Nd4j.createFromArray(weights).castTo(DataType.FLOAT));
    return new OutputLayer.Builder(loss)
        .nOut(task.outputSize())
        .activation(classification ? Activation.SOFTMAX : Activation.IDENTITY)
        .build();
  }

  private static IUpdater updater(ModelSpec model) {
    return switch (model.optimizer()) {
      case "sgd" -> new Sgd(model.learningRate());
      default -> new Adam(model.learningRate());
    };
  }

  private static InputType inputType(ModelSpec model) {
    List<Integer> shape = model.inputShape();
    if (model.backbone().equals("lenet")) {
      return InputType.convolutionalFlat(shape.get(1), shape.get(2), shape.get(0));
    }
    return InputType.feedForward(model.inputSize());
  }
}
