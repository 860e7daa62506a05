package org.fedmtl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SeedsTest {

  @Test
  void streamsDependOnEverythingThatNamesThem() {
    long base = Seeds.derive(42, "local-training", 3, 7);
    assertEquals(base, Seeds.derive(42, "local-training", 3, 7));
    assertNotEquals(base, Seeds.derive(43, "local-training", 3, 7));
    assertNotEquals(base, Seeds.derive(42, "sampling", 3, 7));
    assertNotEquals(base, Seeds.derive(42, "local-training", 4, 7));
    assertNotEquals(base, Seeds.derive(42, "local-training", 7, 3));
    assertNotEquals(base, Seeds.derive(42, "local-training", 3));
  }

  @Test
  void nearbyCoordinatesGiveDistinctStreams() {
    Set<Long> seen = new HashSet<>();
    for (int round = 0; round < 100; round++) {
      for (int client = 0; client < 100; client++) {
        seen.add(Seeds.derive(1, "x", round, client));
      }
    }
    assertEquals(10_000, seen.size());
  }

  @Test
  void stringHashIsFixed() {
    // FNV-1a 64 of "a", a published test vector.
    assertEquals(0xaf63dc4c8601ec8cL, Seeds.hash("a"));
  }
}
