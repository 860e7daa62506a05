package org.fedmtl.client;

import java.io.Serializable;

/**
 * How a client trains in a round.
 *
 * @param localEpochs passes over the client's data per round
 * @param batchSize examples per optimiser step
 * @param engine {@code dl4j} or {@code dense}: what computes the training
 */
public record LocalTrainingSpec(int localEpochs, int batchSize, String engine)
    implements Serializable {

  /** Engine names a configuration may use; {@code auto} picks one by backbone. */
  public static final java.util.List<String> ENGINES = java.util.List.of("auto", "dl4j", "dense");
}
