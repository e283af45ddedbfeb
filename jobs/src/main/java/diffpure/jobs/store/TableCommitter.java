package diffpure.jobs.store;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils;

/**
 * How rows reach a table partitioned by an id column (run_id, rescore_id) and, for chunked tables,
 * by chunk: one implementation per commit protocol. Each write replaces whatever an earlier attempt
 * left for the same (id, chunk) or id, so a rerun overwrites instead of appending. Writes of
 * different chunks may run at the same time.
 */
public interface TableCommitter {
    /** Writes a chunk's rows (with the id and chunk columns) in place of any earlier. */
    void writeChunk(Dataset<Row> rows, String id, int chunk);

    /** Writes an id's rows (with the id column, no chunk) in place of any earlier. */
    void writeId(Dataset<Row> rows, String id);

    /** The directory a chunk's rows live in. */
    String chunkPath(String id, int chunk);

    /** The protocol the session's settings call for, for the table at this path. */
    static TableCommitter of(SparkSession spark, String table, String idColumn) {
        // getOption: get(key, "") would validate "" as a class name.
        scala.Option<String> c = spark.conf().getOption("spark.sql.sources.commitProtocolClass");
        return c.isDefined() && c.get().endsWith("PathOutputCommitProtocol")
                ? new PartitionPathCommitter(table, idColumn)
                : new DynamicOverwriteCommitter(table, idColumn);
    }

    /** A partition directory as Spark names it (escaped value). */
    static String partitionDir(String root, String column, String value) {
        return root + "/" + column + "=" + ExternalCatalogUtils.escapePathName(value);
    }

    /**
     * Spark's dynamic partition overwrite: each write stages its files in its own directory and
     * replaces only the partitions it wrote, so concurrent writes of different chunks do not meet.
     */
    record DynamicOverwriteCommitter(String table, String idColumn) implements TableCommitter {
        @Override
        public void writeChunk(Dataset<Row> rows, String id, int chunk) {
            rows.write()
                    .mode("overwrite")
                    .option("partitionOverwriteMode", "dynamic")
                    .partitionBy(idColumn, "chunk")
                    .parquet(table);
        }

        @Override
        public void writeId(Dataset<Row> rows, String id) {
            rows.write()
                    .mode("overwrite")
                    .option("partitionOverwriteMode", "dynamic")
                    .partitionBy(idColumn)
                    .parquet(table);
        }

        @Override
        public String chunkPath(String id, int chunk) {
            return partitionDir(partitionDir(table, idColumn, id), "chunk", "" + chunk);
        }
    }

    /**
     * Hadoop's PathOutputCommitter (the S3A committers, spark-hadoop-cloud), which refuses dynamic
     * partition overwrite: overwriting the one partition directory by path is the same commit for a
     * single (id, chunk) or id.
     */
    record PartitionPathCommitter(String table, String idColumn) implements TableCommitter {
        @Override
        public void writeChunk(Dataset<Row> rows, String id, int chunk) {
            rows.drop(idColumn, "chunk").write().mode("overwrite").parquet(chunkPath(id, chunk));
        }

        @Override
        public void writeId(Dataset<Row> rows, String id) {
            rows.drop(idColumn)
                    .write()
                    .mode("overwrite")
                    .parquet(partitionDir(table, idColumn, id));
        }

        @Override
        public String chunkPath(String id, int chunk) {
            return partitionDir(partitionDir(table, idColumn, id), "chunk", "" + chunk);
        }
    }
}
