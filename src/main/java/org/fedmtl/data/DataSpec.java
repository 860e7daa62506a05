package org.fedmtl.data;

import java.io.Serializable;
import java.util.List;

/**
 * Where the client data is and how to read it.
 *
 * @param train path of the training data (a Parquet folder or file, or CSV)
 * @param test path of the held-out test data, with the same feature and label columns
 * @param format {@code parquet} or {@code csv}
 * @param clientColumn column holding the client identifier (training data only)
 * @param featuresColumn column holding the features as an array, or empty when
 *     {@code featureColumns} is used
 * @param featureColumns numeric columns that make up the features, when there is no array column
 * @param featureSize number of features per example
 * @param partitions number of RDD partitions the clients are spread over (0: automatic)
 */
public record DataSpec(String train, String test, String format, String clientColumn,
    String featuresColumn, List<String> featureColumns, int featureSize, int partitions)
    implements Serializable {}
