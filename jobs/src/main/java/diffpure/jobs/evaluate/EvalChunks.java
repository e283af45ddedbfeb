package diffpure.jobs.evaluate;

import diffpure.jobs.run.ChunkEngine;
import diffpure.jobs.run.PartitionWork;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.store.SamplesTable;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * An evaluation's chunks: the planned partitions of a chunk through {@link EvalTask}. A chunk with
 * compute-error rows (failures that survived every task attempt) is written but not marked, so a
 * resume recomputes it.
 */
record EvalChunks(SparkSession spark, RunPlan plan, EvalTask task, String runId, PrintStream log)
        implements ChunkEngine.ChunkWork {
    @Override
    public Dataset<Row> rows(int k) {
        List<PartitionWork> parts = plan.chunks().get(k);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // One element per slice: partition p of the RDD is planned partition p.
        JavaRDD<Row> rows = jsc.parallelize(parts, parts.size()).mapPartitions(task);
        return spark.createDataFrame(rows, SamplesTable.SCHEMA);
    }

    @Override
    public long planned(int k) {
        return EvaluationJob.chunkSamples(plan, k);
    }

    @Override
    public String describe(int k) {
        return "diffpure " + runId + " chunk " + k + "/" + plan.chunks().size();
    }

    @Override
    public boolean markable(int k, String dir) {
        long computeErrors =
                spark.read()
                        .schema(SamplesTable.CHUNK_SCHEMA)
                        .parquet(dir)
                        .where("error_kind = '" + SamplesTable.COMPUTE + "'")
                        .count();
        if (computeErrors > 0) {
            log.printf(
                    Locale.ROOT,
                    "chunk %d: %d compute-error rows; not marked done, a resume recomputes it%n",
                    k,
                    computeErrors);
            return false;
        }
        return true;
    }
}
