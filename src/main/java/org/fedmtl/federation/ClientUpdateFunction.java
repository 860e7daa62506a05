package org.fedmtl.federation;

import java.io.Serializable;
import org.fedmtl.aggregation.WeightedParameterSum;
import org.fedmtl.data.ClientShard;

/**
 * Local training as the federation layer sees it: opened once per Spark task, then asked to add
 * each sampled client's weighted update to the task's partial sum.
 */
public interface ClientUpdateFunction extends Serializable {

  /** Prepares what training needs in this task (a network, buffers). */
  Session open();

  /** The per-task state of local training. */
  interface Session {
    /**
     * Trains {@code client} from {@code global} in round {@code round} and adds its weighted
     * parameters to {@code sum}; a client that cannot train is recorded as skipped.
     *
     * @return the optimiser steps the client took (0 when it was skipped)
     */
    long update(ClientShard client, float[] global, int round, WeightedParameterSum sum);
  }
}
