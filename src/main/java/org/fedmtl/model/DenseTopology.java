package org.fedmtl.model;

import java.io.Serializable;
import java.util.List;

/**
 * The dense layers of an {@code mlp} multi-task network and where each keeps its parameters in
 * the network's flat parameter vector, for training engines that work on that vector directly.
 * Weights are stored column-major (DL4J's layout): weight (i, j) of a layer with {@code inputs}
 * inputs is at {@code weightOffset + i + j * inputs}.
 *
 * @param backbone the shared dense ReLU layers, input first
 * @param heads per task, its hidden ReLU layers then its output layer
 */
public record DenseTopology(List<Layer> backbone, List<List<Layer>> heads)
    implements Serializable {

  /**
   * One dense layer.
   *
   * @param inputs input width
   * @param outputs output width
   * @param weightOffset index of weight (0, 0) in the flat vector
   * @param biasOffset index of the first bias
   */
  public record Layer(int inputs, int outputs, int weightOffset, int biasOffset)
      implements Serializable {}

  /** The widest layer input or output, for sizing buffers. */
  public int maxWidth() {
    int width = 0;
    for (Layer layer : backbone) {
      width = Math.max(width, Math.max(layer.inputs(), layer.outputs()));
    }
    for (List<Layer> head : heads) {
      for (Layer layer : head) {
        width = Math.max(width, Math.max(layer.inputs(), layer.outputs()));
      }
    }
    return width;
  }
}
