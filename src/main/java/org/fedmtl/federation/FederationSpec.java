package org.fedmtl.federation;

import java.io.Serializable;

/**
 * The schedule of a federated run.
 *
 * @param seed the experiment seed every random stream derives from
 * @param rounds number of communication rounds
 * @param clientsPerRound clients sampled each round
 * @param evaluateEvery evaluate the global model every this many rounds (and after the last)
 * @param minClients fewest usable client updates that make a new global model
 */
public record FederationSpec(long seed, int rounds, int clientsPerRound, int evaluateEvery,
    int minClients) implements Serializable {}
