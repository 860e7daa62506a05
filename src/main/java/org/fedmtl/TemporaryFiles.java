package org.fedmtl;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Temporary files that are renamed into place once written. Unlike
 * {@link Files#createTempFile}, which makes files only their owner can read, these get the
 * permissions of any new file (the user's umask), so the files a run leaves behind are as
 * readable as the folder they are in.
 */
public final class TemporaryFiles {
  private TemporaryFiles() {}

  /** Creates an empty hidden file {@code .<name>.<random>.tmp} in {@code folder}. */
  public static Path create(Path folder, String name) throws IOException {
    while (true) {
      Path candidate = folder.resolve("." + name + "."
          + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
      try {
        return Files.createFile(candidate);
      } catch (FileAlreadyExistsException e) {
        // Another name, then.
      }
    }
  }
}
