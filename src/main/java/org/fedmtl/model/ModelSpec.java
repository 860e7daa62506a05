package org.fedmtl.model;

import java.io.Serializable;
import java.util.List;

/**
 * The shape of the multi-task network and how local training updates it.
 *
 * @param backbone {@code mlp} (dense ReLU layers) or {@code lenet} (two 5x5 convolutions with
 *     2x2 max pooling, then dense ReLU layers)
 * @param backboneLayers widths of the backbone's dense layers, for {@code lenet} after the
 *     convolutions
 * @param convolutionChannels output channels of the two convolutions ({@code lenet} only)
 * @param headLayers widths of the hidden dense layers of every task head before its output layer
 * @param inputShape {@code [features]} for {@code mlp}, {@code [channels, height, width]} for
 *     {@code lenet}
 * @param optimizer local optimiser, {@code adam} or {@code sgd}
 * @param learningRate local optimiser step size
 */
public record ModelSpec(String backbone, List<Integer> backboneLayers,
    List<Integer> convolutionChannels, List<Integer> headLayers, List<Integer> inputShape,
    String optimizer, double learningRate) implements Serializable {

  /** The backbones this version can build. */
  public static final List<String> BACKBONES = List.of("mlp", "lenet");
  /** The local optimisers this version can use. */
  public static final List<String> OPTIMIZERS = List.of("adam", "sgd");

  /** Number of input values per example. */
  public int inputSize() {
    return inputShape.stream().mapToInt(Integer::intValue).reduce(1, (a, b) -> a * b);
  }
}
