package diffpure.jobs.store;

import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.torch.Devices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code runs} table: one row per run (run_id is its partition column), rewritten when the run
 * starts and when it ends; what a resume checks against (the config hash, the models, the
 * perceptual model of an lpips bound).
 */
public final class RunsTable {
    /** The schema; run_id is its partition column. */
    public static final StructType SCHEMA =
            new StructType()
                    .add("run_id", DataTypes.StringType)
                    .add("experiment", DataTypes.StringType)
                    .add("status", DataTypes.StringType)
                    .add("config", DataTypes.StringType)
                    .add("config_hash", DataTypes.StringType)
                    .add("git_sha", DataTypes.StringType)
                    .add("versions", DataTypes.StringType)
                    .add("hardware", DataTypes.StringType)
                    .add("score_model", DataTypes.StringType)
                    .add("score_model_sha256", DataTypes.StringType)
                    .add("classifier", DataTypes.StringType)
                    .add("classifier_sha256", DataTypes.StringType)
                    .add("dataset_source", DataTypes.StringType)
                    .add("samples", DataTypes.IntegerType)
                    .add("chunks", DataTypes.IntegerType)
                    .add("chunks_done", DataTypes.IntegerType)
                    .add("started", DataTypes.TimestampType)
                    .add("ended", DataTypes.TimestampType)
                    .add("schema_version", DataTypes.IntegerType)
                    .add("sanity", DataTypes.StringType)
                    .add("adjoint_reconstruction_error_max", DataTypes.DoubleType)
                    .add("adjoint_cosine_min", DataTypes.DoubleType)
                    .add("stop_samples", DataTypes.IntegerType)
                    .add("stop_reason", DataTypes.StringType)
                    .add("stop_step_rows", DataTypes.LongType)
                    .add("stop_metric", DataTypes.StringType)
                    .add("stop_sequences", DataTypes.StringType)
                    .add("perceptual_sha256", DataTypes.StringType);

    /**
     * The columns schema version 2 added (version 1 tables lack them): the sanity checks' JSON, and
     * over the run's rows the largest {@code adjoint_reconstruction_error} and the smallest {@code
     * adjoint_cosine} (null when no row has one).
     */
    public static final List<String> SCHEMA_2_COLUMNS =
            List.of("sanity", "adjoint_reconstruction_error_max", "adjoint_cosine_min");

    /**
     * The columns of a run that ended on its stopping rule (null on every other run, and absent
     * from runs tables written before stopping rules): see {@link Stop}.
     */
    public static final List<String> STOP_COLUMNS =
            List.of(
                    "stop_samples",
                    "stop_reason",
                    "stop_step_rows",
                    "stop_metric",
                    "stop_sequences");

    /**
     * Where a run with a stopping rule ended.
     *
     * @param samples the stop index: the first samples of the plan order that the decision and
     *     every reported interval use
     * @param reason target-half-width, budget or data-exhausted ({@code StoppingRule.Reason#key})
     * @param stepRows model step-rows those samples spent
     * @param metric the stop metric (eval.stop-metric)
     * @param sequences every accuracy's 95% confidence sequence at the stop ({@link StopSequences}
     *     JSON)
     */
    public record Stop(int samples, String reason, long stepRows, String metric, String sequences) {
        /** A row's stop, or null when it has none (no rule, or a table older than the columns). */
        public static Stop of(Row r) {
            java.util.List<String> names = java.util.Arrays.asList(r.schema().fieldNames());
            if (!names.contains("stop_samples") || r.getAs("stop_samples") == null) {
                return null;
            }
            return new Stop(
                    r.<Integer>getAs("stop_samples"),
                    r.getAs("stop_reason"),
                    r.<Long>getAs("stop_step_rows"),
                    r.getAs("stop_metric"),
                    r.getAs("stop_sequences"));
        }
    }

    /**
     * What stays the same in a run's row from start to end.
     *
     * @param loaded the run's config, as loaded and rendered
     * @param provenance what every row of the run carries
     * @param samples planned samples
     * @param chunks planned chunks
     * @param sanity the gradient-masking checks' JSON, null when none ran
     */
    public record Run(
            ConfigLoader.Loaded loaded,
            Provenance provenance,
            int samples,
            int chunks,
            String sanity) {}

    /**
     * Where a run stands.
     *
     * @param status running, done or incomplete
     * @param chunksDone chunks marked done
     * @param started when the run first started
     * @param ended when this call ended, null while running
     * @param adjoint the adjoint error figures of its rows
     * @param stop where its stopping rule ended it, null otherwise
     */
    public record State(
            String status,
            int chunksDone,
            Timestamp started,
            Timestamp ended,
            AdjointSummary adjoint,
            Stop stop) {}

    private RunsTable() {}

    /** A run's row from an earlier call, or null when there is none. */
    public static Row previous(SparkSession spark, String runs, String runId) {
        Path p = new Path(runs);
        try {
            if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
                return null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("checking " + p + ": " + e.getMessage(), e);
        }
        List<Row> rows =
                spark.read()
                        .schema(SCHEMA)
                        .parquet(runs)
                        .where(functions.col("run_id").equalTo(functions.lit(runId)))
                        .collectAsList();
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** Refuses to resume a run whose config or models changed since it started. */
    public static void refuseChanged(Row previous, Provenance now) {
        String id = now.runId();
        String hash = previous.getAs("config_hash");
        if (!now.configHash().equals(hash)) {
            throw new IllegalStateException(
                    "run "
                            + id
                            + " was started with config hash "
                            + hash
                            + ", this config has "
                            + now.configHash()
                            + "; resuming needs the same config (see its"
                            + " `config` column in the runs table), or set a new run.id");
        }
        String[][] models = {
            {"score model", previous.getAs("score_model_sha256"), now.scoreModelSha256()},
            {"classifier", previous.getAs("classifier_sha256"), now.classifierSha256()},
            // the network that measures an lpips bound: another one is another threat model
            {"perceptual model", perceptualSha256(previous), now.perceptualSha256()}
        };
        for (String[] m : models) {
            if (m[1] == null && m[0].equals("perceptual model")) {
                continue; // no perceptual model, or a table older than the column: nothing to check
            }
            if (!m[2].equals(m[1])) {
                throw new IllegalStateException(
                        "run "
                                + id
                                + " was started with "
                                + m[0]
                                + " sha256 "
                                + m[1]
                                + ", the model now has "
                                + m[2]
                                + "; resuming would mix models, set a new run.id");
            }
        }
    }

    /** The row's perceptual_sha256, null when it has none or its table predates the column. */
    private static String perceptualSha256(Row r) {
        return java.util.Arrays.asList(r.schema().fieldNames()).contains("perceptual_sha256")
                ? r.getAs("perceptual_sha256")
                : null;
    }

    /** Writes a run's row in place of any earlier. */
    public static void write(SparkSession spark, TableCommitter runs, Run run, State s) {
        ExperimentConfig c = run.loaded().config();
        Provenance p = run.provenance();
        Row row =
                RowFactory.create(
                        p.runId(),
                        c.experiment(),
                        s.status(),
                        run.loaded().rendered(),
                        c.configHash(),
                        p.gitSha(),
                        versions(spark),
                        hardware(spark),
                        p.scoreModelName(),
                        p.scoreModelSha256(),
                        p.classifierName(),
                        p.classifierSha256(),
                        p.datasetSource(),
                        run.samples(),
                        run.chunks(),
                        s.chunksDone(),
                        s.started(),
                        s.ended(),
                        SamplesTable.SCHEMA_VERSION,
                        run.sanity(),
                        s.adjoint().reconstructionErrorMax(),
                        s.adjoint().cosineMin(),
                        s.stop() == null ? null : s.stop().samples(),
                        s.stop() == null ? null : s.stop().reason(),
                        s.stop() == null ? null : s.stop().stepRows(),
                        s.stop() == null ? null : s.stop().metric(),
                        s.stop() == null ? null : s.stop().sequences(),
                        p.perceptualSha256().isEmpty() ? null : p.perceptualSha256());
        runs.writeId(spark.createDataFrame(List.of(row), SCHEMA).coalesce(1), p.runId());
    }

    private static String versions(SparkSession spark) {
        String engine;
        try {
            engine = Devices.engineDescription();
        } catch (RuntimeException e) {
            // A CUDA-only build may have no libtorch on the driver; the executors' rows name their
            // device.
            engine = "engine not loaded on the driver: " + e.getMessage();
        }
        return engine
                + ", Spark "
                + spark.version()
                + ", Java "
                + System.getProperty("java.version");
    }

    private static String hardware(SparkSession spark) {
        return "master "
                + spark.sparkContext().master()
                + ", driver "
                + System.getProperty("os.arch")
                + " x "
                + Runtime.getRuntime().availableProcessors()
                + " cores, default parallelism "
                + spark.sparkContext().defaultParallelism();
    }
}
