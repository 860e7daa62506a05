package org.fedmtl.federation;

import java.util.List;
import java.util.Map;

/**
 * What one round did.
 *
 * @param round the round number, from 1
 * @param sampledClients clients sampled this round
 * @param trainedClients clients whose update entered the aggregate
 * @param skippedClients sampled clients left out (failed training or a non-finite update)
 * @param trainLoss example-weighted mean local training loss
 * @param metrics test metrics of the new global model, empty when this round was not evaluated
 * @param seconds wall time of the round, evaluation included
 * @param bytesMoved bytes of the broadcast global model plus the partial sums sent back
 * @param executors ids of the Spark executors that trained this round's clients, sorted
 */
public record RoundResult(int round, int sampledClients, int trainedClients, int skippedClients,
    double trainLoss, Map<String, Double> metrics, double seconds, long bytesMoved,
    List<String> executors) {}
