package org.fedmtl.aggregation;

import java.io.Serializable;
import java.util.Map;

/** Turns the weighted parameter sums of a round into the next global parameters. */
public interface Aggregator extends Serializable {

  /**
   * The new global parameters. A group that no client contributed to keeps its global values.
   *
   * @param global the global parameters the round started from
   * @param sum the weighted sums of the clients' parameters
   * @param layout the parameter groups
   */
  float[] aggregate(float[] global, WeightedParameterSum sum, ParameterLayout layout);

  /** The configuration name of this aggregator. */
  String name();

  /** What the aggregator keeps between rounds (a server optimizer's moments), for checkpoints. */
  default Map<String, float[]> state() {
    return Map.of();
  }

  /** Takes up the state a checkpoint kept (see {@link #state}). */
  default void restore(Map<String, float[]> state) {}
}
