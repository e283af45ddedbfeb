package diffpure.jobs.eval;

import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.data.ImageDataset;
import diffpure.torch.Devices;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * The driver of an evaluation run. It plans the run (sample ids and labels only), then runs it
 * chunk by chunk: each chunk is one Spark job whose rows are written with dynamic partition
 * overwrite of (run_id, chunk), checked for count, and only then marked done in {@code
 * _progress/<run id>/}. A rerun of the same run id skips the chunks marked done and overwrites any
 * chunk written but not marked, so nothing is lost or duplicated; a rerun with another config hash
 * or another model is refused.
 */
public final class EvaluationJob {
    /** The runs table's schema; run_id is its partition column. */
    public static final StructType RUNS_SCHEMA =
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
                    .add("schema_version", DataTypes.IntegerType);

    private EvaluationJob() {}

    /**
     * How to run.
     *
     * @param gitSha commit recorded in every row
     * @param stopAfterChunks stop after running this many chunks (-1: all), as a killed run would
     * @param progressSeconds seconds between progress lines
     * @param log where progress goes
     */
    public record Options(
            String gitSha, int stopAfterChunks, int progressSeconds, PrintStream log) {
        /** Run everything, progress every 10 s to stdout. */
        public static Options defaults(String gitSha) {
            return new Options(gitSha, -1, 10, System.out);
        }
    }

    /**
     * What a run did.
     *
     * @param runId run id
     * @param samplesPath the samples table
     * @param runsPath the runs table
     * @param chunksRun chunks computed by this call
     * @param chunksSkipped chunks already done by an earlier call
     * @param complete whether every chunk is done
     */
    public record Outcome(
            String runId,
            String samplesPath,
            String runsPath,
            int chunksRun,
            int chunksSkipped,
            boolean complete) {}

    /** The samples table under an output directory. */
    public static String samplesPath(String output) {
        return output.replaceAll("/+$", "") + "/samples";
    }

    /** The runs table under an output directory. */
    public static String runsPath(String output) {
        return output.replaceAll("/+$", "") + "/runs";
    }

    /** Plans the run on the driver: reads ids and labels, not pixels. */
    public static RunPlan plan(SparkSession spark, ExperimentConfig c) {
        ImageDataset data = c.data().open(spark.sparkContext().hadoopConfiguration());
        return RunPlan.of(c, data);
    }

    /** Runs (or resumes) an experiment. */
    public static Outcome run(SparkSession spark, ConfigLoader.Loaded loaded, Options o) {
        ExperimentConfig c = loaded.config();
        String runId = c.runId();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        ImageDataset data = c.data().open(conf);
        RunPlan plan = RunPlan.of(c, data);
        String[] eps = ModelCache.manifestOf(c.models().eps(), conf);
        String[] clf = ModelCache.manifestOf(c.models().classifier(), conf);
        Provenance prov =
                new Provenance(
                        runId,
                        o.gitSha(),
                        c.configHash(),
                        eps[0],
                        eps[1],
                        clf[0],
                        clf[1],
                        data.source());
        String samples = samplesPath(c.run().output());
        String runs = runsPath(c.run().output());
        Path progress = new Path(c.run().output().replaceAll("/+$", "") + "/_progress/" + runId);
        Timestamp started = new Timestamp(System.currentTimeMillis());
        Row previous = previousRun(spark, runs, runId);
        if (previous != null) {
            refuseChanged(previous, prov);
            started = previous.getAs("started");
        }
        int total = plan.chunks().size();
        FileSystem fs = fileSystem(progress, conf);
        int doneBefore = 0;
        long samplesBefore = 0;
        for (int k = 0; k < total; k++) {
            if (exists(fs, marker(progress, k))) {
                doneBefore++;
                samplesBefore +=
                        plan.chunks().get(k).stream().mapToLong(p -> p.samples().size()).sum();
            }
        }
        o.log()
                .printf(
                        Locale.ROOT,
                        "run %s: %d samples in %d chunks (%d done before), %s%n",
                        runId,
                        plan.samples(),
                        total,
                        doneBefore,
                        previous == null ? "new run" : "resuming");
        writeRun(spark, runs, loaded, prov, plan, doneBefore, "running", started, null);
        LongAccumulator done = spark.sparkContext().longAccumulator("diffpure samples done");
        EvalTask task = new EvalTask(c, prov, done);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Progress meter = new Progress(plan.samples(), samplesBefore, done, o.log());
        ScheduledExecutorService ticker =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "diffpure-progress");
                            t.setDaemon(true);
                            return t;
                        });
        ticker.scheduleAtFixedRate(
                meter::print, o.progressSeconds(), o.progressSeconds(), TimeUnit.SECONDS);
        int ran = 0;
        int doneNow = doneBefore;
        try {
            for (int k = 0; k < total; k++) {
                if (exists(fs, marker(progress, k))) {
                    continue;
                }
                if (o.stopAfterChunks() >= 0 && ran >= o.stopAfterChunks()) {
                    break;
                }
                List<PartitionWork> parts = plan.chunks().get(k);
                spark.sparkContext()
                        .setJobDescription("diffpure " + runId + " chunk " + k + "/" + total);
                // One element per slice: partition p of the RDD is planned partition p.
                JavaRDD<Row> rows = jsc.parallelize(parts, parts.size()).mapPartitions(task);
                Dataset<Row> df = spark.createDataFrame(rows, SampleRows.SCHEMA);
                if (pathOutputCommitter(spark)) {
                    // The S3A committers (spark-hadoop-cloud) refuse dynamic partition overwrite;
                    // overwriting
                    // the one partition directory by path is the same commit for a single (run_id,
                    // chunk).
                    df.drop("run_id", "chunk")
                            .write()
                            .mode(SaveMode.Overwrite)
                            .parquet(samples + "/run_id=" + runId + "/chunk=" + k);
                } else {
                    df.write()
                            .mode(SaveMode.Overwrite)
                            .option("partitionOverwriteMode", "dynamic")
                            .partitionBy("run_id", "chunk")
                            .parquet(samples);
                }
                long planned = parts.stream().mapToLong(p -> p.samples().size()).sum();
                long written =
                        spark.read()
                                .parquet(samples)
                                .where(
                                        "run_id = '"
                                                + runId.replace("'", "''")
                                                + "' AND chunk = "
                                                + k)
                                .count();
                if (written != planned) {
                    throw new IllegalStateException(
                            "chunk "
                                    + k
                                    + " of run "
                                    + runId
                                    + ": "
                                    + written
                                    + " rows in "
                                    + samples
                                    + " but "
                                    + planned
                                    + " planned");
                }
                mark(fs, marker(progress, k), written);
                ran++;
                doneNow++;
                meter.print();
            }
        } finally {
            ticker.shutdownNow();
            spark.sparkContext().setJobDescription(null);
        }
        boolean complete = doneNow == total;
        writeRun(
                spark,
                runs,
                loaded,
                prov,
                plan,
                doneNow,
                complete ? "done" : "incomplete",
                started,
                new Timestamp(System.currentTimeMillis()));
        o.log()
                .printf(
                        Locale.ROOT,
                        "run %s: %s, %d chunks computed now, %d before; tables %s and %s%n",
                        runId,
                        complete ? "complete" : "incomplete",
                        ran,
                        doneBefore,
                        samples,
                        runs);
        return new Outcome(runId, samples, runs, ran, doneBefore, complete);
    }

    /** Whether Spark commits through Hadoop's PathOutputCommitter (the S3A committers). */
    static boolean pathOutputCommitter(SparkSession spark) {
        // getOption: get(key, "") would validate "" as a class name.
        scala.Option<String> c = spark.conf().getOption("spark.sql.sources.commitProtocolClass");
        return c.isDefined() && c.get().endsWith("PathOutputCommitProtocol");
    }

    private static Row previousRun(SparkSession spark, String runs, String runId) {
        Path p = new Path(runs);
        if (!exists(fileSystem(p, spark.sparkContext().hadoopConfiguration()), p)) {
            return null;
        }
        List<Row> rows =
                spark.read()
                        .schema(RUNS_SCHEMA)
                        .parquet(runs)
                        .where("run_id = '" + runId.replace("'", "''") + "'")
                        .collectAsList();
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** Refuses to resume a run whose config or models changed since it started. */
    private static void refuseChanged(Row previous, Provenance now) {
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
            {"score model", previous.getAs("score_model_sha256"), now.epsSha256()},
            {"classifier", previous.getAs("classifier_sha256"), now.classifierSha256()}
        };
        for (String[] m : models) {
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

    private static void writeRun(
            SparkSession spark,
            String runs,
            ConfigLoader.Loaded loaded,
            Provenance p,
            RunPlan plan,
            int chunksDone,
            String status,
            Timestamp started,
            Timestamp ended) {
        ExperimentConfig c = loaded.config();
        Row row =
                RowFactory.create(
                        p.runId(),
                        c.experiment(),
                        status,
                        loaded.rendered(),
                        c.configHash(),
                        p.gitSha(),
                        versions(spark),
                        hardware(spark),
                        p.epsName(),
                        p.epsSha256(),
                        p.classifierName(),
                        p.classifierSha256(),
                        p.datasetSource(),
                        plan.samples(),
                        plan.chunks().size(),
                        chunksDone,
                        started,
                        ended,
                        SampleRows.SCHEMA_VERSION);
        Dataset<Row> df = spark.createDataFrame(List.of(row), RUNS_SCHEMA).coalesce(1);
        if (pathOutputCommitter(spark)) {
            df.drop("run_id")
                    .write()
                    .mode(SaveMode.Overwrite)
                    .parquet(runs + "/run_id=" + p.runId());
        } else {
            df.write()
                    .mode(SaveMode.Overwrite)
                    .option("partitionOverwriteMode", "dynamic")
                    .partitionBy("run_id")
                    .parquet(runs);
        }
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

    static Path marker(Path progress, int chunk) {
        return new Path(progress, String.format(Locale.ROOT, "chunk-%05d.done", chunk));
    }

    private static FileSystem fileSystem(Path p, Configuration conf) {
        try {
            return p.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("no file system for " + p + ": " + e.getMessage(), e);
        }
    }

    private static boolean exists(FileSystem fs, Path p) {
        try {
            return fs.exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("checking " + p + ": " + e.getMessage(), e);
        }
    }

    private static void mark(FileSystem fs, Path p, long rows) {
        try (FSDataOutputStream out = fs.create(p, true)) {
            out.write((rows + " rows\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("marking " + p + " done: " + e.getMessage(), e);
        }
    }
}
