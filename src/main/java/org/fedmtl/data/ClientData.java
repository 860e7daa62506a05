package org.fedmtl.data;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * Client datasets as a cached RDD of {@link ClientShard}s. The client with index i (its position
 * among all client identifiers in sorted order) lives in partition {@code i % partitions}, so the
 * driver knows which partitions a round's sampled clients are in without looking at the data.
 *
 * @param shards the client shards, cached
 * @param clientIds client identifiers in index order
 * @param clientRows examples of each client, in index order (training data; empty for test
 *     blocks, whose sizes are not counted ahead)
 * @param partitions number of partitions of {@code shards}
 * @param rows total number of examples
 */
public record ClientData(JavaRDD<ClientShard> shards, List<String> clientIds, int[] clientRows,
    int partitions, long rows) {

  public int clientCount() {
    return clientIds.size();
  }

  /** The partition that holds the client with index {@code clientIndex}. */
  public int partitionOf(int clientIndex) {
    return clientIndex % partitions;
  }
}
