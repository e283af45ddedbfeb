package diffpure.jobs.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The adjoint error figures of a run's rows, as the runs table summarises them.
 *
 * @param reconstructionErrorMax largest {@code adjoint_reconstruction_error}, null when none
 * @param cosineMin smallest {@code adjoint_cosine}, null when none
 */
public record AdjointSummary(Double reconstructionErrorMax, Double cosineMin) {
    /** No adjoint figures (other gradient modes, or before any chunk ran). */
    public static final AdjointSummary NONE = new AdjointSummary(null, null);

    /** Whether any row had an adjoint figure. */
    public boolean isPresent() {
        return reconstructionErrorMax != null || cosineMin != null;
    }

    /**
     * Reads the figures from a run's rows in the samples table (schema 2; tables without the
     * columns give {@link #NONE}).
     */
    public static AdjointSummary of(SparkSession spark, String samplesPath, String runId) {
        Path p = new Path(samplesPath);
        try {
            if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
                return NONE;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("checking " + p + ": " + e.getMessage(), e);
        }
        Row r =
                spark.read()
                        .schema(SamplesTable.SCHEMA)
                        .parquet(samplesPath)
                        .where(functions.col("run_id").equalTo(runId))
                        .agg(
                                functions.max("adjoint_reconstruction_error"),
                                functions.min("adjoint_cosine"))
                        .first();
        return new AdjointSummary(
                r.isNullAt(0) ? null : r.getDouble(0), r.isNullAt(1) ? null : r.getDouble(1));
    }
}
