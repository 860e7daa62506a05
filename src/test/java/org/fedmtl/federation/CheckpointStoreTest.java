package org.fedmtl.federation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  @TempDir
  Path folder;

  @Test
  void roundTripsEverything() {
    CheckpointStore store = new CheckpointStore(folder.resolve("checkpoint"));
    store.write(new Checkpoint(10, new float[] {1.5f, -2f, Float.MIN_VALUE},
        Map.of("server.m", new float[] {3f}), Map.of("history.csv", "a,b\n1,2\n".getBytes())));

    Checkpoint read = store.latest().orElseThrow();

    assertEquals(10, read.round());
    assertArrayEquals(new float[] {1.5f, -2f, Float.MIN_VALUE}, read.globalParameters());
    assertArrayEquals(new float[] {3f}, read.state().get("server.m"));
    assertEquals("a,b\n1,2\n", new String(read.attachments().get("history.csv")));
  }

  @Test
  void keepsTheNewestTwoAndReadsTheNewest() throws Exception {
    CheckpointStore store = new CheckpointStore(folder);
    for (int round = 2; round <= 8; round += 2) {
      store.write(checkpoint(round));
    }
    try (var files = Files.list(folder)) {
      assertEquals(2, files.count());
    }
    assertEquals(8, store.latest().orElseThrow().round());
  }

  @Test
  void damagedNewestFallsBackToThePreviousOne() throws Exception {
    CheckpointStore store = new CheckpointStore(folder);
    store.write(checkpoint(4));
    store.write(checkpoint(6));
    Path newest = folder.resolve(CheckpointStore.fileName(6));
    byte[] bytes = Files.readAllBytes(newest);
    bytes[20] ^= 0x40;
    Files.write(newest, bytes);

    assertEquals(4, store.latest().orElseThrow().round());
  }

  @Test
  void truncatedNewestFallsBackAndNoneLeftIsEmpty() throws Exception {
    CheckpointStore store = new CheckpointStore(folder);
    store.write(checkpoint(3));
    Path only = folder.resolve(CheckpointStore.fileName(3));
    byte[] bytes = Files.readAllBytes(only);
    Files.write(only, java.util.Arrays.copyOf(bytes, bytes.length - 5));

    assertTrue(store.latest().isEmpty());
    assertTrue(new CheckpointStore(folder.resolve("absent")).latest().isEmpty());
  }

  private static Checkpoint checkpoint(int round) {
    return new Checkpoint(round, new float[] {round}, Map.of(), Map.of());
  }
}
