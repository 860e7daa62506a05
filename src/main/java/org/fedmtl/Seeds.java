package org.fedmtl;

import java.nio.charset.StandardCharsets;

/**
 * Derives independent random streams from the experiment seed.
 *
 * <p>Every random draw in a run comes from a stream named by (seed, purpose, coordinates), for
 * example (seed, "sampling", round) or (seed, "local-training", round, client). A stream depends
 * on nothing else, so a retried Spark task, another partitioning or another cluster draws the
 * same numbers. Mixing uses the SplitMix64 finaliser (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014).
 */
public final class Seeds {
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

  private Seeds() {}

  /** The seed of the stream named by {@code purpose} and {@code coordinates}. */
  public static long derive(long seed, String purpose, long... coordinates) {
    long state = mix(seed ^ GOLDEN_GAMMA);
    state = mix(state + hash(purpose));
    for (long coordinate : coordinates) {
      state = mix(state + GOLDEN_GAMMA + coordinate);
    }
    return state;
  }

  /** A stable 64-bit hash of a string (FNV-1a over UTF-8), the same on every JVM. */
  public static long hash(String text) {
    long hash = 0xcbf29ce484222325L;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= 0x100000001b3L;
    }
    return hash;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
