package org.fedmtl.client;

import org.fedmtl.data.ClientShard;

/** One client's local training in a round, whatever engine does the arithmetic. */
public interface LocalTraining {

  /**
   * Trains on {@code shard} starting from {@code globalParameters}.
   *
   * @param streamSeed seed of this client's stream for this round (shuffling)
   */
  LocalResult train(ClientShard shard, float[] globalParameters, long streamSeed);

  /**
   * What {@link TaskAffinity} measures with, on rows {@code rows} of {@code shard}. Uses this
   * engine's buffers: call it between, not during, trainings.
   */
  TaskAffinity.Probe probe(ClientShard shard, int[] rows);
}
