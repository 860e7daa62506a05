package org.fedmtl.data;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/** Writes generated datasets so that a reader sees either all of one or none of it. */
final class GeneratedData {
  private GeneratedData() {}

  /** Writes {@code data} as Parquet to a temporary sibling of {@code path}, then renames it. */
  static void writeParquet(SparkSession spark, Dataset<Row> data, String path) {
    try {
      Path target = new Path(path);
      FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
      Path temporary = new Path(target.getParent(),
          "." + target.getName() + "-" + UUID.randomUUID() + ".tmp");
      data.write().mode(SaveMode.ErrorIfExists).parquet(temporary.toString());
      fs.mkdirs(target.getParent());
      if (!fs.rename(temporary, target)) {
        fs.delete(temporary, true);
        throw new IOException("cannot rename " + temporary + " to " + target);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot write generated data to " + path, e);
    }
  }
}
