package org.fedmtl.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * The rows of one input partition as read, held compactly (one feature array, one label array
 * per task, client ids as a dictionary), with the result of checking them. Lives only while
 * client shards are being built: it is cached between the pass that checks the data and the pass
 * that moves each client's rows to its partition, so the files are read once.
 */
final class RowBlock implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int featureSize;
  private final String[] clients;
  private final int[] clientOfRow;
  private final float[] features;
  private final float[][] labels;
  private final Inspection inspection;

  /**
   * What checking one block found.
   *
   * @param rows rows read, good or not
   * @param problemRows per check, rows that fail it (and no earlier check)
   * @param firstProblem per check, where its first failing row is, or null
   * @param clientIds distinct client ids of the good rows
   * @param clientRows good rows of each of {@code clientIds}
   */
  record Inspection(long rows, long[] problemRows, String[] firstProblem, String[] clientIds,
      int[] clientRows) implements Serializable {

    /** The two inspections as one, this block's first problems first. */
    Inspection merge(Inspection other) {
      long[] counts = problemRows.clone();
      String[] first = firstProblem.clone();
      for (int c = 0; c < counts.length; c++) {
        counts[c] += other.problemRows[c];
        if (first[c] == null) {
          first[c] = other.firstProblem[c];
        }
      }
      return new Inspection(rows + other.rows, counts, first, new String[0], new int[0]);
    }
  }

  private RowBlock(int featureSize, String[] clients, int[] clientOfRow, float[] features,
      float[][] labels, Inspection inspection) {
    this.featureSize = featureSize;
    this.clients = clients;
    this.clientOfRow = clientOfRow;
    this.features = features;
    this.labels = labels;
    this.inspection = inspection;
  }

  /**
   * Reads a partition of projected rows (see {@link ExampleChecks}); a row that fails a check is
   * counted under the first check it fails and left out.
   */
  static RowBlock read(Iterator<InternalRow> rows, ExampleChecks checks, int tasks) {
    Map<String, Integer> dictionary = new HashMap<>();
    List<String> clients = new ArrayList<>();
    int featureSize = checks.featureSize();
    FloatList features = new FloatList(featureSize * 256);
    FloatList[] labels = new FloatList[tasks];
    for (int t = 0; t < tasks; t++) {
      labels[t] = new FloatList(256);
    }
    int[] clientOfRow = new int[256];
    int[] rowsOfClient = new int[16];
    int good = 0;
    long read = 0;
    long[] problemRows = new long[checks.count()];
    String[] firstProblem = new String[checks.count()];
    while (rows.hasNext()) {
      InternalRow row = rows.next();
      read++;
      int failure = checks.firstFailure(row);
      if (failure > 0) {
        problemRows[failure - 1]++;
        if (firstProblem[failure - 1] == null) {
          firstProblem[failure - 1] = checks.whereIs(row);
        }
        continue;
      }
      String id = row.getUTF8String(ExampleChecks.CLIENT).toString();
      Integer client = dictionary.get(id);
      if (client == null) {
        client = clients.size();
        dictionary.put(id, client);
        clients.add(id);
        if (client == rowsOfClient.length) {
          rowsOfClient = Arrays.copyOf(rowsOfClient, 2 * client);
        }
      }
      rowsOfClient[client]++;
      if (good == clientOfRow.length) {
        clientOfRow = Arrays.copyOf(clientOfRow, 2 * good);
      }
      clientOfRow[good++] = client;
      features.addAll(row.getArray(ExampleChecks.FEATURES));
      for (int t = 0; t < tasks; t++) {
        int column = ExampleChecks.LABELS + t;
        labels[t].add(row.isNullAt(column) ? Float.NaN : (float) row.getDouble(column));
      }
    }
    float[][] labelArrays = new float[tasks][];
    for (int t = 0; t < tasks; t++) {
      labelArrays[t] = labels[t].toArray();
    }
    String[] ids = clients.toArray(String[]::new);
    return new RowBlock(featureSize, ids, Arrays.copyOf(clientOfRow, good), features.toArray(),
        labelArrays, new Inspection(read, problemRows, firstProblem, ids,
            Arrays.copyOf(rowsOfClient, ids.length)));
  }

  Inspection inspection() {
    return inspection;
  }

  int rows() {
    return clientOfRow.length;
  }

  /**
   * This block's rows grouped by a key: rows with the same key become one chunk, keyed by the
   * key, in order of first appearance.
   */
  List<ClientChunk> chunks(RowKey key) {
    Map<Integer, IntList> rowsByKey = new HashMap<>();
    List<Integer> order = new ArrayList<>();
    for (int r = 0; r < rows(); r++) {
      int k = key.of(this, r);
      IntList list = rowsByKey.get(k);
      if (list == null) {
        list = new IntList();
        rowsByKey.put(k, list);
        order.add(k);
      }
      list.add(r);
    }
    List<ClientChunk> chunks = new ArrayList<>(order.size());
    for (int k : order) {
      IntList rows = rowsByKey.get(k);
      float[] chunkFeatures = new float[rows.size * featureSize];
      float[][] chunkLabels = new float[labels.length][rows.size];
      for (int i = 0; i < rows.size; i++) {
        int r = rows.values[i];
        System.arraycopy(features, r * featureSize, chunkFeatures, i * featureSize,
            featureSize);
        for (int t = 0; t < labels.length; t++) {
          chunkLabels[t][i] = labels[t][r];
        }
      }
      chunks.add(new ClientChunk(k, clients[clientOfRow[rows.values[0]]], chunkFeatures,
          chunkLabels));
    }
    return chunks;
  }

  /** The client id of row {@code r}. */
  String client(int r) {
    return clients[clientOfRow[r]];
  }

  /**
   * {@code 31 * Arrays.hashCode(features of r) + Arrays.hashCode(labels of r)}, computed in
   * place: a key that depends only on the row's content.
   */
  int contentHash(int r) {
    int featureHash = 1;
    for (int i = r * featureSize; i < (r + 1) * featureSize; i++) {
      featureHash = 31 * featureHash + Float.floatToIntBits(features[i]);
    }
    int labelHash = 1;
    for (float[] task : labels) {
      labelHash = 31 * labelHash + Float.floatToIntBits(task[r]);
    }
    return 31 * featureHash + labelHash;
  }

  /** Chooses the key of a row. */
  @FunctionalInterface
  interface RowKey extends Serializable {
    int of(RowBlock block, int row);
  }

  /**
   * Rows of one client (or test block) from one input partition.
   *
   * @param key the client's index, or the test block's
   * @param clientId the client's id (for a test block, that of any of its rows)
   * @param features row-major features
   * @param labels per task, one label per row (NaN: none)
   */
  record ClientChunk(int key, String clientId, float[] features, float[][] labels)
      implements Serializable {}

  private static final class FloatList {
    private float[] values;
    private int size;

    FloatList(int capacity) {
      values = new float[capacity];
    }

    void add(float value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, 2 * size);
      }
      values[size++] = value;
    }

    void addAll(ArrayData more) {
      int count = more.numElements();
      if (size + count > values.length) {
        values = Arrays.copyOf(values, Math.max(2 * values.length, size + count));
      }
      for (int i = 0; i < count; i++) {
        values[size++] = more.getFloat(i);
      }
    }

    float[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }

  private static final class IntList {
    private int[] values = new int[16];
    private int size;

    void add(int value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, 2 * size);
      }
      values[size++] = value;
    }
  }
}
