package diffpure.jobs.eval;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils;

/**
 * How a chunk's rows and a run's row reach the tables: one implementation per commit protocol. Each
 * write replaces whatever an earlier attempt left for the same (run_id, chunk) or run_id, so a
 * rerun overwrites instead of appending. Writes of different chunks may run at the same time.
 */
interface TableCommitter {
    /**
     * Writes a chunk's rows (the samples schema, with run_id and chunk) in place of any earlier.
     */
    void writeChunk(Dataset<Row> rows, String runId, int chunk);

    /** Writes a run's row (the runs schema, with run_id) in place of any earlier. */
    void writeRun(Dataset<Row> run, String runId);

    /** The directory a chunk's rows live in. */
    String chunkPath(String runId, int chunk);

    /** The protocol the session's settings call for. */
    static TableCommitter of(SparkSession spark, String samples, String runs) {
        // getOption: get(key, "") would validate "" as a class name.
        scala.Option<String> c = spark.conf().getOption("spark.sql.sources.commitProtocolClass");
        return c.isDefined() && c.get().endsWith("PathOutputCommitProtocol")
                ? new PartitionPathCommitter(samples, runs)
                : new DynamicOverwriteCommitter(samples, runs);
    }

    /** A partition directory as Spark names it (escaped value). */
    static String partitionDir(String root, String column, String value) {
        return root + "/" + column + "=" + ExternalCatalogUtils.escapePathName(value);
    }

    /**
     * Spark's dynamic partition overwrite: each write stages its files in its own directory and
     * replaces only the partitions it wrote, so concurrent writes of different chunks do not meet.
     */
    record DynamicOverwriteCommitter(String samples, String runs) implements TableCommitter {
        @Override
        public void writeChunk(Dataset<Row> rows, String runId, int chunk) {
            rows.write()
                    .mode("overwrite")
                    .option("partitionOverwriteMode", "dynamic")
                    .partitionBy("run_id", "chunk")
                    .parquet(samples);
        }

        @Override
        public void writeRun(Dataset<Row> run, String runId) {
            run.write()
                    .mode("overwrite")
                    .option("partitionOverwriteMode", "dynamic")
                    .partitionBy("run_id")
                    .parquet(runs);
        }

        @Override
        public String chunkPath(String runId, int chunk) {
            return partitionDir(partitionDir(samples, "run_id", runId), "chunk", "" + chunk);
        }
    }

    /**
     * Hadoop's PathOutputCommitter (the S3A committers, spark-hadoop-cloud), which refuses dynamic
     * partition overwrite: overwriting the one partition directory by path is the same commit for a
     * single (run_id, chunk) or run_id.
     */
    record PartitionPathCommitter(String samples, String runs) implements TableCommitter {
        @Override
        public void writeChunk(Dataset<Row> rows, String runId, int chunk) {
            rows.drop("run_id", "chunk").write().mode("overwrite").parquet(chunkPath(runId, chunk));
        }

        @Override
        public void writeRun(Dataset<Row> run, String runId) {
            run.drop("run_id")
                    .write()
                    .mode("overwrite")
                    .parquet(partitionDir(runs, "run_id", runId));
        }

        @Override
        public String chunkPath(String runId, int chunk) {
            return partitionDir(partitionDir(samples, "run_id", runId), "chunk", "" + chunk);
        }
    }
}
