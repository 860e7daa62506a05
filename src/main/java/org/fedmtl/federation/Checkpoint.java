package org.fedmtl.federation;

import java.util.Map;

/**
 * Everything a run needs to continue after round {@code round} as if it had never stopped: the
 * global parameters, named state of the server or clients that lives across rounds, and
 * attachments of the layers above (for example the history so far). Random streams are derived
 * from (seed, purpose, round, client) and hold no position, so the round number is their state.
 *
 * @param round the last finished round
 * @param globalParameters the global parameters after that round
 * @param state named arrays kept between rounds (server optimiser moments, per-client state)
 * @param attachments named opaque byte blocks
 */
public record Checkpoint(int round, float[] globalParameters, Map<String, float[]> state,
    Map<String, byte[]> attachments) {}
