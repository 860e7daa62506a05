package org.fedmtl.federation;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.fedmtl.Seeds;

/**
 * Draws a round's clients uniformly without replacement, from the stream (seed, "sampling",
 * round). Robert Floyd's algorithm (Bentley and Floyd, "A sample of brilliance", CACM 1987)
 * costs O(clients per round), not O(clients), so sampling 100 of a million clients is cheap.
 */
public final class ClientSampler {
  private ClientSampler() {}

  /** Indices of the sampled clients, ascending. */
  public static int[] sample(long seed, int round, int clients, int clientsPerRound) {
    if (clientsPerRound > clients || clientsPerRound < 0) {
      throw new IllegalArgumentException(
          "cannot sample " + clientsPerRound + " of " + clients + " clients");
    }
    SplittableRandom random = new SplittableRandom(Seeds.derive(seed, "sampling", round));
    Set<Integer> chosen = new HashSet<>();
    for (int j = clients - clientsPerRound; j < clients; j++) {
      int candidate = random.nextInt(j + 1);
      chosen.add(chosen.contains(candidate) ? j : candidate);
    }
    int[] sample = chosen.stream().mapToInt(Integer::intValue).toArray();
    Arrays.sort(sample);
    return sample;
  }
}
