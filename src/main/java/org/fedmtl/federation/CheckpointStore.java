package org.fedmtl.federation;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedmtl.TemporaryFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints in a folder, one file per checkpointed round ({@code round-000000010.ckpt}).
 *
 * <p>A checkpoint is written to a temporary file, synced, and renamed into place, so a run killed
 * while writing leaves the previous checkpoints intact. Each file ends with the SHA-256 of its
 * content; a file whose checksum or structure does not hold is skipped with a warning and the
 * newest good one is used. The newest {@link #KEPT} checkpoints are kept.
 */
public final class CheckpointStore {
  static final int KEPT = 2;
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  private static final byte[] MAGIC = {'F', 'E', 'D', 'M', 'T', 'L', 'C', 'K'};
  private static final int VERSION = 1;
  private static final int DIGEST_BYTES = 32;

  private final Path folder;

  public CheckpointStore(Path folder) {
    this.folder = folder;
  }

  public Path folder() {
    return folder;
  }

  /** Writes {@code checkpoint} atomically and drops checkpoints older than the newest two. */
  public void write(Checkpoint checkpoint) {
    try {
      Files.createDirectories(folder);
      byte[] content = encode(checkpoint);
      Path target = folder.resolve(fileName(checkpoint.round()));
      Path temporary = TemporaryFiles.create(folder, "round");
      try (var channel = java.nio.channels.FileChannel.open(temporary,
          java.nio.file.StandardOpenOption.WRITE)) {
        channel.write(java.nio.ByteBuffer.wrap(content));
        channel.force(true);
      }
      try {
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
      }
      List<Path> files = checkpointFiles();
      for (int i = KEPT; i < files.size(); i++) {
        Files.deleteIfExists(files.get(i));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a checkpoint to " + folder, e);
    }
  }

  /** The newest checkpoint that reads back intact, or empty when there is none. */
  public Optional<Checkpoint> latest() {
    List<Path> files;
    try {
      files = checkpointFiles();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + folder, e);
    }
    for (Path file : files) {
      try {
        return Optional.of(decode(Files.readAllBytes(file)));
      } catch (IOException | RuntimeException e) {
        LOG.warn("checkpoint {} is damaged ({}); trying the one before", file, e.getMessage());
      }
    }
    return Optional.empty();
  }

  /** Checkpoint files, newest round first. */
  private List<Path> checkpointFiles() throws IOException {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    List<Path> files = new ArrayList<>();
    try (var entries = Files.list(folder)) {
      entries.filter(p -> p.getFileName().toString().matches("round-\\d+\\.ckpt"))
          .forEach(files::add);
    }
    files.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
    return files;
  }

  static String fileName(int round) {
    return String.format("round-%09d.ckpt", round);
  }

  static byte[] encode(Checkpoint checkpoint) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(checkpoint.round());
      writeFloats(out, checkpoint.globalParameters());
      out.writeInt(checkpoint.state().size());
      for (Map.Entry<String, float[]> entry : checkpoint.state().entrySet()) {
        out.writeUTF(entry.getKey());
        writeFloats(out, entry.getValue());
      }
      out.writeInt(checkpoint.attachments().size());
      for (Map.Entry<String, byte[]> entry : checkpoint.attachments().entrySet()) {
        out.writeUTF(entry.getKey());
        out.writeInt(entry.getValue().length);
        out.write(entry.getValue());
      }
    }
    byte[] content = bytes.toByteArray();
    byte[] withDigest = Arrays.copyOf(content, content.length + DIGEST_BYTES);
    System.arraycopy(sha256(content), 0, withDigest, content.length, DIGEST_BYTES);
    return withDigest;
  }

  static Checkpoint decode(byte[] file) throws IOException {
    if (file.length < MAGIC.length + DIGEST_BYTES) {
      throw new IOException("too short to be a checkpoint");
    }
    byte[] content = Arrays.copyOf(file, file.length - DIGEST_BYTES);
    byte[] digest = Arrays.copyOfRange(file, file.length - DIGEST_BYTES, file.length);
    if (!MessageDigest.isEqual(digest, sha256(content))) {
      throw new IOException("checksum mismatch");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(content))) {
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!Arrays.equals(magic, MAGIC) || in.readInt() != VERSION) {
        throw new IOException("not a checkpoint of this version");
      }
      int round = in.readInt();
      float[] global = readFloats(in);
      Map<String, float[]> state = new LinkedHashMap<>();
      for (int n = in.readInt(); n > 0; n--) {
        state.put(in.readUTF(), readFloats(in));
      }
      Map<String, byte[]> attachments = new LinkedHashMap<>();
      for (int n = in.readInt(); n > 0; n--) {
        String name = in.readUTF();
        attachments.put(name, in.readNBytes(in.readInt()));
      }
      return new Checkpoint(round, global, state, attachments);
    }
  }

  private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
    out.writeInt(values.length);
    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(values.length * Float.BYTES);
    buffer.asFloatBuffer().put(values);
    out.write(buffer.array());
  }

  private static float[] readFloats(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      throw new IOException("negative array length");
    }
    byte[] raw = in.readNBytes(length * Float.BYTES);
    if (raw.length != length * Float.BYTES) {
      throw new IOException("truncated");
    }
    float[] values = new float[length];
    java.nio.ByteBuffer.wrap(raw).asFloatBuffer().get(values);
    return values;
  }

  private static byte[] sha256(byte[] content) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(content);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
