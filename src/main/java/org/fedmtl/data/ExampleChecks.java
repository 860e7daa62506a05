package org.fedmtl.data;

import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;

/**
 * The checks every example must pass, applied in Java to the rows Spark SQL reads.
 *
 * <p>The rows have the layout of {@link ClientDataLoader}'s projection: the client id (a string,
 * null when missing), the features (an array of floats), one label per task (a double, null when
 * the row has no label for the task) and the file the row came from. Keeping the checks out of
 * the query keeps the Spark SQL plan to a scan and a few casts, which its optimiser and code
 * generator handle in a fraction of the time a plan with the checks as expressions takes.
 */
final class ExampleChecks implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Position of the client id in the projected row. */
  static final int CLIENT = 0;
  /** Position of the features in the projected row. */
  static final int FEATURES = 1;
  /** Position of the first label; task t's label is at {@code LABELS + t}. */
  static final int LABELS = 2;

  private final boolean identifiesClients;
  private final int featureSize;
  private final TaskType[] types;
  private final int[] classes;
  private final List<String> problems;

  /**
   * @param clientColumn the client id column, named in the message for a missing id; null for
   *     data without clients (test data), whose rows are named by their file alone
   * @param featureName how the features are named in messages ("column 'features'", ...)
   */
  ExampleChecks(String clientColumn, String featureName, int featureSize, List<TaskSpec> tasks) {
    this.identifiesClients = clientColumn != null;
    this.featureSize = featureSize;
    this.types = tasks.stream().map(TaskSpec::type).toArray(TaskType[]::new);
    this.classes = tasks.stream().mapToInt(TaskSpec::classes).toArray();
    // What the failing rows have (or lack), after "N row(s) have/has".
    List<String> problems = new ArrayList<>();
    problems.add("no client id in column '" + clientColumn + "'");
    problems.add("a number of features other than " + featureSize + " in " + featureName);
    problems.add("a missing, NaN or infinite feature in " + featureName);
    for (TaskSpec task : tasks) {
      String label = "column '" + task.labelColumn() + "' (task '" + task.name() + "')";
      problems.add(task.type() == TaskType.CLASSIFICATION
          ? "a label that is not a class index (a whole number from 0 to "
              + (task.classes() - 1) + ") in " + label
          : "a NaN or infinite target (or one beyond the float range) in " + label);
    }
    this.problems = List.copyOf(problems);
  }

  /** Features every row must have. */
  int featureSize() {
    return featureSize;
  }

  /** How many checks there are. */
  int count() {
    return problems.size();
  }

  /**
   * The message for {@code rows} rows failing check {@code c} (counted from 0), e.g. "3 rows
   * have a NaN or infinite target in ...".
   */
  String problem(int c, long rows) {
    return rows + (rows == 1 ? " row has " : " rows have ") + problems.get(c);
  }

  /** Position of the file name in the projected row. */
  int fileColumn() {
    return LABELS + types.length;
  }

  /** Where {@code row} is, for a message: its client and file. */
  String whereIs(InternalRow row) {
    String file = localPath(row.getUTF8String(fileColumn()).toString());
    if (!identifiesClients) {
      return "a row in " + file;
    }
    return "client " + (row.isNullAt(CLIENT) ? "null" : row.getUTF8String(CLIENT)) + " in " + file;
  }

  /** A {@code file:} URI as the local path it names; any other location as it is. */
  static String localPath(String location) {
    try {
      URI uri = new URI(location);
      return "file".equals(uri.getScheme()) ? Path.of(uri).toString() : location;
    } catch (URISyntaxException | IllegalArgumentException e) {
      return location;
    }
  }

  /** The first check {@code row} fails, counted from 1, or 0 when it passes them all. */
  int firstFailure(InternalRow row) {
    if (row.isNullAt(CLIENT)) {
      return 1;
    }
    if (row.isNullAt(FEATURES)) {
      return 2;
    }
    ArrayData features = row.getArray(FEATURES);
    if (features.numElements() != featureSize) {
      return 2;
    }
    for (int i = 0; i < featureSize; i++) {
      if (features.isNullAt(i) || !Float.isFinite(features.getFloat(i))) {
        return 3;
      }
    }
    for (int t = 0; t < types.length; t++) {
      if (!row.isNullAt(LABELS + t) && !validLabel(t, row.getDouble(LABELS + t))) {
        return 4 + t;
      }
    }
    return 0;
  }

  private boolean validLabel(int task, double label) {
    if (types[task] == TaskType.CLASSIFICATION) {
      return label >= 0 && label < classes[task] && label == Math.floor(label);
    }
    // Targets are trained on as floats: a double beyond their range would become infinite.
    return Float.isFinite((float) label);
  }
}
