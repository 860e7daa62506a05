package org.fedmtl.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.fedmtl.InvalidInputException;

/**
 * Reads MNIST in its IDX format (LeCun, Bottou, Bengio and Haffner, "Gradient-based learning
 * applied to document recognition", Proc. IEEE 1998): big-endian magic 0x803 for images with
 * count, rows and columns, then unsigned bytes; 0x801 for labels. Files may be gzip-compressed.
 */
public final class MnistFiles {
  public static final int SIDE = 28;

  /**
   * Images and labels of one MNIST split.
   *
   * @param pixels {@code count * 28 * 28} unsigned bytes, row-major
   * @param labels one digit per image
   */
  public record Split(byte[] pixels, byte[] labels) implements java.io.Serializable {
    public int count() {
      return labels.length;
    }
  }

  private MnistFiles() {}

  /** Reads the split named {@code train} or {@code t10k} from {@code folder}. */
  public static Split read(Path folder, String split) {
    Path images = find(folder, split + "-images-idx3-ubyte");
    Path labels = find(folder, split + "-labels-idx1-ubyte");
    byte[] pixels = readIdx(images, 0x803, 3);
    byte[] digits = readIdx(labels, 0x801, 1);
    if (pixels.length != digits.length * SIDE * SIDE) {
      throw new InvalidInputException(images + ": " + pixels.length / (SIDE * SIDE)
          + " images but " + labels + " has " + digits.length + " labels");
    }
    return new Split(pixels, digits);
  }

  private static Path find(Path folder, String name) {
    for (String candidate : new String[] {name, name + ".gz", name.replace("-idx", ".idx")}) {
      Path path = folder.resolve(candidate);
      if (Files.isRegularFile(path)) {
        return path;
      }
    }
    throw new InvalidInputException("data.multimnist.mnist-dir: no " + name + " in " + folder
        + "; fetch the MNIST files with data-gen/fetch-mnist.sh");
  }

  private static byte[] readIdx(Path path, int magic, int dimensions) {
    try (InputStream raw = Files.newInputStream(path);
        InputStream in = path.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        DataInputStream data = new DataInputStream(new java.io.BufferedInputStream(in))) {
      int found = data.readInt();
      if (found != magic) {
        throw new InvalidInputException(path + ": not an IDX file of " + dimensions
            + " dimensions (magic number " + Integer.toHexString(found) + ")");
      }
      long size = 1;
      for (int d = 0; d < dimensions; d++) {
        size *= data.readInt();
      }
      byte[] values = new byte[(int) size];
      data.readFully(values);
      return values;
    } catch (IOException e) {
      throw new InvalidInputException(path + ": cannot read MNIST data (" + e.getMessage() + ")");
    }
  }
}
