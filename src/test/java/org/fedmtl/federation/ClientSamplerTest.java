package org.fedmtl.federation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ClientSamplerTest {

  @Test
  void sameSeedAndRoundGiveTheSameSortedDistinctSample() {
    int[] first = ClientSampler.sample(42, 3, 100, 10);
    int[] second = ClientSampler.sample(42, 3, 100, 10);

    assertArrayEquals(first, second);
    assertEquals(10, first.length);
    assertEquals(10, Arrays.stream(first).distinct().count());
    for (int i = 1; i < first.length; i++) {
      assertTrue(first[i - 1] < first[i]);
    }
    assertTrue(Arrays.stream(first).allMatch(c -> c >= 0 && c < 100));
  }

  @Test
  void sampleFollowsSeedAndRound() {
    int[] base = ClientSampler.sample(42, 1, 1000, 20);
    assertFalse(Arrays.equals(base, ClientSampler.sample(43, 1, 1000, 20)));
    assertFalse(Arrays.equals(base, ClientSampler.sample(42, 2, 1000, 20)));
  }

  @Test
  void everyClientIsEquallyLikely() {
    int clients = 10;
    int rounds = 20_000;
    int[] counts = new int[clients];
    for (int round = 1; round <= rounds; round++) {
      for (int client : ClientSampler.sample(5, round, clients, 5)) {
        counts[client]++;
      }
    }
    // Expected 10,000 each; the standard deviation of a count is about 71.
    for (int count : counts) {
      assertEquals(10_000, count, 400);
    }
  }

  @Test
  void allClientsWhenAllAreAsked() {
    assertArrayEquals(new int[] {0, 1, 2, 3}, ClientSampler.sample(1, 1, 4, 4));
  }

  @Test
  void refusesMoreClientsThanThereAre() {
    assertThrows(IllegalArgumentException.class, () -> ClientSampler.sample(1, 1, 4, 5));
  }

  @Test
  void treeDepthGrowsWithPartials() {
    assertEquals(1, FederatedRounds.treeDepth(1));
    assertEquals(1, FederatedRounds.treeDepth(FederatedRounds.DRIVER_MERGE_LIMIT));
    assertEquals(2, FederatedRounds.treeDepth(65));
    assertEquals(2, FederatedRounds.treeDepth(4096));
    assertEquals(3, FederatedRounds.treeDepth(4097));
  }
}
