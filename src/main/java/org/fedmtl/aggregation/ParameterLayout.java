package org.fedmtl.aggregation;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * How a model's flat parameter vector splits into parameter groups.
 *
 * <p>A group is the unit of aggregation: the shared backbone is one group and each task head is
 * another. Every group carries its own weight in a round, so a task head can be averaged only
 * over the clients that hold labels for that task while the backbone is averaged over all.
 */
public final class ParameterLayout implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * A named set of index ranges of the flat parameter vector.
   *
   * @param name the group's name, e.g. {@code backbone} or {@code head:digit}
   * @param task the task whose head this is, or null for parameters that all tasks share
   * @param starts first index of each range
   * @param ends one past the last index of each range
   */
  public record Group(String name, String task, int[] starts, int[] ends) implements Serializable {
    public int size() {
      int size = 0;
      for (int r = 0; r < starts.length; r++) {
        size += ends[r] - starts[r];
      }
      return size;
    }
  }

  private final int size;
  private final List<Group> groups;

  public ParameterLayout(int size, List<Group> groups) {
    this.size = size;
    this.groups = List.copyOf(groups);
    checkPartition();
  }

  /** The number of parameters in the flat vector. */
  public int size() {
    return size;
  }

  public List<Group> groups() {
    return groups;
  }

  public int groupCount() {
    return groups.size();
  }

  /** Names of the groups, in group order. */
  public List<String> groupNames() {
    List<String> names = new ArrayList<>();
    for (Group group : groups) {
      names.add(group.name());
    }
    return names;
  }

  private void checkPartition() {
    boolean[] covered = new boolean[size];
    for (Group group : groups) {
      for (int r = 0; r < group.starts().length; r++) {
        for (int i = group.starts()[r]; i < group.ends()[r]; i++) {
          if (covered[i]) {
            throw new IllegalArgumentException(
                "parameter " + i + " belongs to two groups (second: " + group.name() + ")");
          }
          covered[i] = true;
        }
      }
    }
    for (int i = 0; i < size; i++) {
      if (!covered[i]) {
        throw new IllegalArgumentException("parameter " + i + " belongs to no group");
      }
    }
  }
}
