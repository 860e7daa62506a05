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
 * @param clientMeasurements per cell, the mean over the trained clients of what they measured
 *     (task affinity), NaN where none did; null when nothing was measured this round
 * @param seconds wall time of the round, evaluation included
 * @param bytesMoved bytes of the broadcast global model plus the partial sums sent back
 * @param executors ids of the Spark executors that trained this round's clients, sorted
 * @param timings where the round's time went
 */
public record RoundResult(int round, int sampledClients, int trainedClients, int skippedClients,
    double trainLoss, Map<String, Double> metrics, double[] clientMeasurements, double seconds,
    long bytesMoved,
    List<String> executors, Timings timings) {

  /**
   * Where a round's time went.
   *
   * @param trainingJobSeconds wall time of the round's Spark job, which trains the clients,
   *     reduces their sums and evaluates the previous round's model
   * @param clientSeconds local training time summed over clients (all executors)
   * @param longestTaskSeconds local training time of the busiest Spark task
   * @param slots Spark task slots (cores) the training could use
   * @param aggregationSeconds the aggregator and the new broadcast, on the driver
   * @param evaluationSeconds task time spent evaluating this round's model (in the next round's
   *     job, or in a job of its own after the last round); 0 when it was not evaluated
   * @param steps optimiser steps of all clients
   * @param examples examples trained on, once per local epoch
   */
  public record Timings(double trainingJobSeconds, double clientSeconds,
      double longestTaskSeconds, int slots, double aggregationSeconds, double evaluationSeconds,
      long steps, long examples) {

    /**
     * The shortest the round's job could take: its busiest training task, or all training and
     * evaluation spread evenly over the slots, whichever is longer.
     */
    public double idealTrainingSeconds() {
      return Math.max(longestTaskSeconds,
          (clientSeconds + evaluationSeconds) / Math.max(1, slots));
    }

    /** Training-job time beyond the ideal: scheduling, shipping, the reduce, uneven tasks. */
    public double sparkOverheadSeconds() {
      return Math.max(0, trainingJobSeconds - idealTrainingSeconds());
    }
  }
}
