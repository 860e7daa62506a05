package org.fedmtl.federation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.Partition;
import org.apache.spark.rdd.PartitionCoalescer;
import org.apache.spark.rdd.PartitionGroup;
import org.apache.spark.rdd.RDD;
import org.apache.spark.scheduler.TaskLocation;
import scala.Option;
import scala.collection.Seq;

/**
 * Groups the partitions that hold a round's sampled clients into about one Spark task per slot,
 * so that the tasks finish close together and each runs where its clients are cached.
 *
 * <p>Partitions are first grouped by the executor that caches them (a task that prefers that
 * executor reads its clients from memory there, and is scheduled as process-local, ahead of
 * anything less local). Each executor gets a share of the groups in proportion to the work it
 * holds, and within an executor the partitions are assigned by the longest-processing-time rule
 * (Graham, "Bounds on multiprocessing timing anomalies", SIAM J. Appl. Math., 1969): heaviest
 * first, each to the least loaded group (of those, the one with fewest partitions), which keeps
 * the busiest group within 4/3 of the best possible. Work is what the caller expects a partition
 * to cost: the examples of its sampled clients, and its test rows weighed by their cost. Ties
 * are broken by partition index, so the same round gives the same groups.
 *
 * <p>Implements Scala's {@code Serializable}, which {@code RDD.coalesce} requires of a coalescer.
 */
final class BalancedCoalescer implements PartitionCoalescer, scala.Serializable {
  private static final long serialVersionUID = 1L;

  private final double[] work;

  /** @param work per partition of the parent RDD, in its order: its expected cost */
  BalancedCoalescer(double[] work) {
    this.work = work.clone();
  }

  @Override
  public PartitionGroup[] coalesce(int maxPartitions, RDD<?> parent) {
    Partition[] partitions = parent.partitions();
    if (partitions.length != work.length) {
      throw new IllegalArgumentException("work is given for " + work.length
          + " partitions, the RDD has " + partitions.length);
    }
    Map<String, List<Integer>> byLocation = new TreeMap<>();
    for (int p = 0; p < partitions.length; p++) {
      byLocation.computeIfAbsent(location(parent, p), l -> new ArrayList<>()).add(p);
    }
    double total = 0;
    for (double w : work) {
      total += w;
    }

    List<PartitionGroup> groups = new ArrayList<>();
    for (Map.Entry<String, List<Integer>> entry : byLocation.entrySet()) {
      List<Integer> members = entry.getValue();
      double held = members.stream().mapToDouble(p -> work[p]).sum();
      long share = total == 0 ? 1 : Math.round((double) maxPartitions * held / total);
      int count = (int) Math.max(1, Math.min(members.size(), share));
      Option<String> preferred = entry.getKey().isEmpty() ? Option.empty()
          : Option.apply(entry.getKey());
      for (List<Integer> assigned : longestFirst(work, members, count)) {
        PartitionGroup group = new PartitionGroup(preferred);
        for (int p : assigned) {
          group.partitions().$plus$eq(partitions[p]);
        }
        groups.add(group);
      }
    }
    return groups.toArray(PartitionGroup[]::new);
  }

  /**
   * Assigns {@code members} (indices into {@code work}), heaviest first, each to the least loaded
   * of {@code count} groups; returns each group's members in the order they were assigned.
   */
  static List<List<Integer>> longestFirst(double[] work, List<Integer> members, int count) {
    List<Integer> order = new ArrayList<>(members);
    order.sort(Comparator.<Integer>comparingDouble(p -> -work[p]).thenComparing(p -> p));
    List<List<Integer>> groups = new ArrayList<>(count);
    double[] load = new double[count];
    for (int g = 0; g < count; g++) {
      groups.add(new ArrayList<>());
    }
    for (int p : order) {
      int lightest = 0;
      for (int g = 1; g < count; g++) {
        if (load[g] < load[lightest]
            || load[g] == load[lightest] && groups.get(g).size() < groups.get(lightest).size()) {
          lightest = g;
        }
      }
      load[lightest] += work[p];
      groups.get(lightest).add(p);
    }
    return groups;
  }

  /**
   * Where Spark would run a task of partition {@code p}: the executor caching it, written as
   * Spark's task locations are ({@code executor_<host>_<id>}), or empty when it has no place.
   */
  private static String location(RDD<?> rdd, int p) {
    Seq<TaskLocation> locations = rdd.context().getPreferredLocs(rdd, p);
    return locations.isEmpty() ? "" : locations.head().toString();
  }
}
