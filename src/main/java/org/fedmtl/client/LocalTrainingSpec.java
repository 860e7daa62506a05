package org.fedmtl.client;

import java.io.Serializable;

/**
 * How a client trains in a round.
 *
 * @param localEpochs passes over the client's data per round
 * @param batchSize examples per optimiser step
 */
public record LocalTrainingSpec(int localEpochs, int batchSize) implements Serializable {}
