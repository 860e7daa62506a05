package org.fedmtl.federation;

import java.io.Serializable;
import java.util.Arrays;
import scala.runtime.AbstractFunction1;

/** Keeps the partitions whose index is in a sorted list: the partitions of sampled clients. */
final class PartitionFilter extends AbstractFunction1<Object, Object> implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int[] partitions;

  PartitionFilter(int[] sortedPartitions) {
    this.partitions = sortedPartitions;
  }

  @Override
  public Object apply(Object partition) {
    return Arrays.binarySearch(partitions, (Integer) partition) >= 0;
  }
}
