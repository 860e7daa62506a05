package org.fedmtl.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.fedmtl.SparkTests;
import org.junit.jupiter.api.Test;
import scala.Option;

class BalancedCoalescerTest {
  private static List<Integer> all(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  @Test
  void heaviestFirstToTheLeastLoadedGroup() {
    double[] work = {5, 3, 3, 2, 2, 1};
    // 5 -> g0; 3 -> g1; 3 -> g1 (3 < 5); 2 -> g0 (5 < 6); 2 -> g1 (6 < 7); 1 -> g0 (7 < 8).
    assertEquals(List.of(List.of(0, 3, 5), List.of(1, 2, 4)),
        BalancedCoalescer.longestFirst(work, all(6), 2));
  }

  @Test
  void equalLoadsGoToTheGroupWithFewestPartitions() {
    assertEquals(List.of(List.of(0, 3), List.of(1), List.of(2)),
        BalancedCoalescer.longestFirst(new double[4], all(4), 3));
  }

  @Test
  void onlyTheGivenMembersAreAssigned() {
    double[] work = {9, 1, 4, 4, 1};
    // 4 (partition 2) -> g0; 4 (partition 3) -> g1; 1 -> g0, the first of two equal groups.
    assertEquals(List.of(List.of(2, 4), List.of(3)),
        BalancedCoalescer.longestFirst(work, List.of(2, 3, 4), 2));
  }

  @Test
  void groupsRunProcessLocalWhereTheirPartitionsAreCached() throws Exception {
    SparkSession spark = SparkTests.session("local[2]");
    try {
      JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
      JavaRDD<Integer> cached = context.parallelize(all(60), 6)
          .persist(StorageLevel.MEMORY_ONLY());
      cached.count();
      // Spark's scheduler remembers where partitions are cached as of the latest job; the first
      // count found them not cached yet.
      cached.count();
      List<String> localities = Collections.synchronizedList(new ArrayList<>());
      spark.sparkContext().addSparkListener(new SparkListener() {
        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
          localities.add(end.taskInfo().taskLocality().toString());
        }
      });

      double[] work = {50, 10, 10, 10, 10, 10};
      RDD<Integer> grouped = cached.rdd().coalesce(2, false,
          Option.apply(new BalancedCoalescer(work)), null);
      assertEquals(2, grouped.getNumPartitions());
      for (org.apache.spark.Partition partition : grouped.partitions()) {
        String preferred = grouped.preferredLocations(partition).head();
        assertTrue(preferred.startsWith("executor_"), "prefers the caching executor, not just "
            + "its host: " + preferred);
      }
      List<Integer> sums = new JavaRDD<>(grouped, cached.classTag())
          .mapPartitions(values -> {
            int sum = 0;
            while (values.hasNext()) {
              sum += values.next();
            }
            return List.of(sum).iterator();
          }).collect();
      // Partition 0 (values 0..9) alone; partitions 1..5 (values 10..59) together.
      assertEquals(List.of(45, IntStream.range(10, 60).sum()), sums);

      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(2, localities.size());
      assertTrue(localities.stream().allMatch(l -> l.equals("PROCESS_LOCAL")),
          "tasks ran where the partitions are cached: " + localities);
    } finally {
      spark.stop();
    }
  }
}
