package org.fedmtl.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.fedmtl.InvalidInputException;
import org.fedmtl.TemporaryFiles;

/**
 * The folder a run leaves behind: {@code history.csv} (one row per round, written as rounds
 * finish), {@code summary.json}, {@code config.conf} and whatever else the job writes there.
 * Whole files are written to a temporary name and then renamed, so a reader never sees half a
 * file. A folder that already holds a finished run is never reused.
 */
public final class RunDirectory {
  public static final String HISTORY = "history.csv";
  public static final String SUMMARY = "summary.json";
  public static final String CONFIG = "config.conf";
  public static final String MODEL = "model.zip";

  private static final List<String> LEADING_COLUMNS =
      List.of("round", "clients", "seconds", "train_loss");
  private static final String BYTES_COLUMN = "bytes_moved";

  private final Path folder;
  private final List<String> metricColumns;
  private final boolean created;
  private CSVPrinter history;

  private RunDirectory(Path folder, List<String> metricColumns, boolean created) {
    this.folder = folder;
    this.metricColumns = List.copyOf(metricColumns);
    this.created = created;
  }

  /**
   * Creates the run folder, or takes an existing empty one.
   *
   * @param key the configuration key that named the folder, for error messages
   */
  public static RunDirectory create(Path folder, String key, List<String> metricColumns) {
    if (Files.exists(folder)) {
      if (!Files.isDirectory(folder)) {
        throw new InvalidInputException(key + ": " + folder + " exists and is not a folder");
      }
      if (Files.exists(folder.resolve(SUMMARY))) {
        throw new InvalidInputException(key + ": " + folder
            + " already holds a finished run; choose another output folder");
      }
      try (var entries = Files.list(folder)) {
        if (entries.findAny().isPresent()) {
          String resume = Files.isRegularFile(folder.resolve(CONFIG))
              && Files.isRegularFile(folder.resolve(HISTORY))
              ? " (it holds a run that stopped: ./submit.sh resume " + folder + " continues it)"
              : "";
          throw new InvalidInputException(key + ": " + folder
              + " is not empty; choose a new or an empty output folder" + resume);
        }
      } catch (IOException e) {
        throw new InvalidInputException(key + ": cannot read " + folder + ": " + e.getMessage());
      }
    }
    boolean created = !Files.exists(folder);
    try {
      Files.createDirectories(folder);
      Path probe = TemporaryFiles.create(folder, "write-test");
      Files.delete(probe);
    } catch (IOException e) {
      throw new InvalidInputException(key + ": cannot write to " + folder + " ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
    }
    return new RunDirectory(folder, metricColumns, created);
  }

  /**
   * Opens the folder of a run that stopped before it finished, to continue it.
   *
   * @throws InvalidInputException when the folder is not an unfinished run
   */
  public static RunDirectory resume(Path folder, List<String> metricColumns) {
    if (!Files.isDirectory(folder)) {
      throw new InvalidInputException("resume: " + folder + " is not a folder");
    }
    if (!Files.isRegularFile(folder.resolve(CONFIG))) {
      throw new InvalidInputException("resume: " + folder + " holds no " + CONFIG
          + "; it is not a run folder");
    }
    if (Files.exists(folder.resolve(SUMMARY))) {
      throw new InvalidInputException("resume: the run in " + folder + " already finished");
    }
    if (!Files.isWritable(folder)) {
      throw new InvalidInputException("resume: cannot write to " + folder);
    }
    return new RunDirectory(folder, metricColumns, false);
  }

  /**
   * Removes the run folder when this run created it and nothing has been written to it, so a
   * run stopped by bad input leaves no empty folder behind.
   */
  public void discardIfUnused() {
    if (!created) {
      return;
    }
    try (var entries = Files.list(folder)) {
      if (entries.findAny().isEmpty()) {
        Files.delete(folder);
      }
    } catch (IOException e) {
      // The folder stays; nothing else depends on its removal.
    }
  }

  public Path folder() {
    return folder;
  }

  public Path resolve(String name) {
    return folder.resolve(name);
  }

  /** The header of {@code history.csv}. */
  public List<String> historyColumns() {
    List<String> columns = new ArrayList<>(LEADING_COLUMNS);
    columns.addAll(metricColumns);
    columns.add(BYTES_COLUMN);
    return columns;
  }

  /** The rows of {@code history.csv} so far, each keyed by column name; empty when none. */
  public List<Map<String, String>> readHistory() {
    flushHistory();
    Path file = folder.resolve(HISTORY);
    if (!Files.exists(file)) {
      return List.of();
    }
    try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        var parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build()
            .parse(reader)) {
      List<Map<String, String>> rows = new ArrayList<>();
      parser.forEach(record -> rows.add(record.toMap()));
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** The bytes of {@code history.csv} as written so far. */
  public byte[] historyBytes() {
    flushHistory();
    try {
      Path file = folder.resolve(HISTORY);
      return Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + folder.resolve(HISTORY), e);
    }
  }

  /** Replaces {@code history.csv} with {@code content} (a checkpoint's copy), atomically. */
  public void restoreHistory(byte[] content) {
    closeHistory();
    if (content.length == 0) {
      try {
        Files.deleteIfExists(folder.resolve(HISTORY));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + folder.resolve(HISTORY), e);
      }
      return;
    }
    String header = new String(content, StandardCharsets.UTF_8).lines().findFirst().orElse("");
    String expected = String.join(",", historyColumns());
    if (!header.equals(expected)) {
      throw new InvalidInputException("resume: the checkpoint's history.csv has the columns "
          + header + ", but the run's configuration gives " + expected);
    }
    writeAtomically(HISTORY, content);
  }

  /** Appends one round to {@code history.csv} and flushes it; absent metrics stay empty. */
  public void appendHistory(int round, int clients, double seconds, double trainLoss,
      Map<String, Double> metrics, long bytesMoved) {
    try {
      if (history == null) {
        Path file = folder.resolve(HISTORY);
        boolean continuing = Files.exists(file) && Files.size(file) > 0;
        BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        CSVFormat.Builder format = CSVFormat.DEFAULT.builder().setRecordSeparator('\n');
        if (!continuing) {
          format.setHeader(historyColumns().toArray(String[]::new));
        }
        history = new CSVPrinter(writer, format.build());
      }
      List<Object> row = new ArrayList<>();
      row.add(round);
      row.add(clients);
      row.add(String.format(java.util.Locale.ROOT, "%.3f", seconds));
      row.add(format(trainLoss));
      for (String column : metricColumns) {
        Double value = metrics.get(column);
        row.add(value == null ? "" : format(value));
      }
      row.add(bytesMoved);
      history.printRecord(row);
      history.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + folder.resolve(HISTORY), e);
    }
  }

  /** Writes {@code summary.json} atomically. */
  public void writeSummary(Map<String, Object> summary) {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    try {
      writeAtomically(SUMMARY, json.writeValueAsBytes(summary));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + folder.resolve(SUMMARY), e);
    }
  }

  /** Writes a text file of the run folder atomically. */
  public void writeText(String name, String text) {
    writeAtomically(name, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Moves a finished file into the run folder under {@code name}, replacing nothing else. */
  public void moveIn(Path file, String name) {
    try {
      move(file, folder.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move " + file + " to " + folder.resolve(name), e);
    }
  }

  /** A temporary file in the run folder, for writers that need a path. */
  public Path temporaryFile(String name) {
    try {
      return TemporaryFiles.create(folder, name);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a file in " + folder, e);
    }
  }

  private void flushHistory() {
    if (history != null) {
      try {
        history.flush();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + folder.resolve(HISTORY), e);
      }
    }
  }

  public void closeHistory() {
    if (history != null) {
      try {
        history.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close " + folder.resolve(HISTORY), e);
      }
      history = null;
    }
  }

  private void writeAtomically(String name, byte[] content) {
    try {
      Path temporary = TemporaryFiles.create(folder, name);
      Files.write(temporary, content);
      move(temporary, folder.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + folder.resolve(name), e);
    }
  }

  /** Moves {@code from} to {@code to}, atomically where the file system can. */
  static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String format(double value) {
    return Double.isNaN(value) ? "" : Double.toString(value);
  }
}
