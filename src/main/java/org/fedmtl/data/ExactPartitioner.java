package org.fedmtl.data;

import org.apache.spark.Partitioner;

/** Sends an integer key k to partition k: the key already names the partition. */
final class ExactPartitioner extends Partitioner {
  private static final long serialVersionUID = 1L;

  private final int partitions;

  ExactPartitioner(int partitions) {
    this.partitions = partitions;
  }

  @Override
  public int numPartitions() {
    return partitions;
  }

  @Override
  public int getPartition(Object key) {
    return (Integer) key;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ExactPartitioner that && that.partitions == partitions;
  }

  @Override
  public int hashCode() {
    return partitions;
  }
}
