package diffpure.jobs.eval;

import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.data.Datasets;
import diffpure.data.ImageDataset;
import diffpure.gradient.GradientPlan;
import diffpure.model.ModelManifest;
import diffpure.torch.Devices;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The driver of an evaluation run. It plans the run (sample ids and labels only), then runs its
 * chunks as concurrent Spark jobs: each chunk's rows are written by a {@link TableCommitter}
 * (replacing any earlier rows of that (run_id, chunk)), checked for count, and only then marked
 * done ({@link ChunkMarkers}). A rerun of the same run id skips the chunks marked done and
 * overwrites any chunk written but not marked, so nothing is lost or duplicated; a rerun with
 * another config hash or another model is refused.
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
                    .add("schema_version", DataTypes.IntegerType)
                    .add("sanity", DataTypes.StringType)
                    .add("adjoint_reconstruction_error_max", DataTypes.DoubleType)
                    .add("adjoint_cosine_min", DataTypes.DoubleType);

    /**
     * The runs-table columns schema version 2 added (version 1 tables lack them): the sanity
     * checks' JSON, and over the run's rows the largest {@code adjoint_reconstruction_error} and
     * the smallest {@code adjoint_cosine} (null when no row has one).
     */
    public static final List<String> RUNS_SCHEMA_2_COLUMNS =
            List.of("sanity", "adjoint_reconstruction_error_max", "adjoint_cosine_min");

    private EvaluationJob() {}

    /**
     * How to run.
     *
     * @param gitSha commit recorded in every row
     * @param stopAfterChunks stop after running this many chunks (-1: all), as a killed run would
     * @param progressSeconds seconds between progress lines
     * @param log where progress goes
     * @param hook called on the executors before each partition (tests inject failures with it)
     */
    public record Options(
            String gitSha,
            int stopAfterChunks,
            int progressSeconds,
            PrintStream log,
            PartitionHook hook) {
        /** Options without a hook. */
        public Options(String gitSha, int stopAfterChunks, int progressSeconds, PrintStream log) {
            this(gitSha, stopAfterChunks, progressSeconds, log, PartitionHook.NONE);
        }

        /** Run everything, progress every 10 s to stdout. */
        public static Options defaults(String gitSha) {
            return new Options(gitSha, -1, 10, System.out);
        }

        /** These options with a hook. */
        public Options withHook(PartitionHook h) {
            return new Options(gitSha, stopAfterChunks, progressSeconds, log, h);
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
     * @param modelLoads per executor JVM that ran a task, how often it loaded each model
     * @param slotUtilisation busy over available slot-seconds of this call's tasks (NaN: none ran)
     * @param failedTasks task attempts that failed (lost executors included)
     * @param retriedTasks task attempts after a first one
     */
    public record Outcome(
            String runId,
            String samplesPath,
            String runsPath,
            int chunksRun,
            int chunksSkipped,
            boolean complete,
            List<ExecutorLoads> modelLoads,
            double slotUtilisation,
            int failedTasks,
            int retriedTasks) {}

    /**
     * How often one executor JVM had loaded the models when it last reported (once each, when the
     * per-JVM cache works).
     *
     * @param executor Spark executor id
     * @param pid the JVM's process id
     * @param scoreModel score model loads
     * @param classifier classifier loads
     */
    public record ExecutorLoads(String executor, long pid, int scoreModel, int classifier) {}

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
        ImageDataset data = Datasets.open(c.data(), spark.sparkContext().hadoopConfiguration());
        return RunPlan.of(c, data);
    }

    /**
     * Runs (or resumes) an experiment. The chunks not yet done are submitted as concurrent Spark
     * jobs from a small driver thread pool, in chunk order, enough of them that every task slot has
     * work: with S slots and P planned partitions left, min(S, P) tasks run at once and a slow task
     * holds back only its own chunk's commit. Each chunk is committed on its own (written, counted,
     * marked) as soon as its job ends; the first failure cancels the others.
     */
    public static Outcome run(SparkSession spark, ConfigLoader.Loaded loaded, Options o) {
        ExperimentConfig c = loaded.config();
        String runId = c.runId();
        SparkContext sc = spark.sparkContext();
        Configuration conf = sc.hadoopConfiguration();
        // Everything the driver can check from the config and the manifests, before any task.
        Preflight.check(c, conf);
        ImageDataset data = Datasets.open(c.data(), conf);
        RunPlan plan = RunPlan.of(c, data);
        String[] scoreModel = ModelCache.manifestOf(c.models().scoreModel(), conf);
        String[] clf = ModelCache.manifestOf(c.models().classifier(), conf);
        // A budget nothing fits, or auto without one, fails here rather than in every task (each
        // setting of a sweep: t* sets the chain length)
        ModelManifest scoreModelManifest =
                ModelCache.fullManifestOf(
                        c.models().scoreModel(), conf, c.models().manifestLimits());
        ModelManifest clfManifest =
                ModelCache.fullManifestOf(
                        c.models().classifier(), conf, c.models().manifestLimits());
        for (ExperimentConfig setting : c.settings()) {
            GradientPlan.forRun(setting, scoreModelManifest, clfManifest);
        }
        Provenance prov =
                new Provenance(
                        runId,
                        o.gitSha(),
                        c.configHash(),
                        scoreModel[0],
                        scoreModel[1],
                        clf[0],
                        clf[1],
                        data.source());
        String samples = samplesPath(c.run().output());
        String runs = runsPath(c.run().output());
        TableCommitter tables = TableCommitter.of(spark, samples, runs);
        ChunkMarkers markers = new ChunkMarkers(c.run().output(), runId, conf);
        Timestamp started = new Timestamp(System.currentTimeMillis());
        Row previous = previousRun(spark, runs, runId);
        if (previous != null) {
            refuseChanged(previous, prov);
            started = previous.getAs("started");
        }
        int total = plan.chunks().size();
        List<Integer> todo = new ArrayList<>();
        long samplesBefore = 0;
        for (int k = 0; k < total; k++) {
            if (markers.isDone(k)) {
                samplesBefore += chunkSamples(plan, k);
            } else {
                todo.add(k);
            }
        }
        int doneBefore = total - todo.size();
        if (o.stopAfterChunks() >= 0 && todo.size() > o.stopAfterChunks()) {
            todo = todo.subList(0, o.stopAfterChunks());
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
        SanityTask.Result sanity = sanity(spark, c, plan, previous, o);
        writeRun(
                spark,
                tables,
                loaded,
                prov,
                plan,
                doneBefore,
                "running",
                started,
                null,
                sanity.json(),
                AdjointSummary.NONE);
        LongAccumulator done = sc.longAccumulator("diffpure samples done");
        CollectionAccumulator<String> loads = sc.collectionAccumulator("diffpure model loads");
        EvalTask task = new EvalTask(c, prov, done, loads, o.hook(), sanity);
        String group = "diffpure-" + runId + "-" + UUID.randomUUID();
        RunMonitor monitor =
                new RunMonitor(sc, group, done, plan.samples(), samplesBefore, o.log());
        sc.addSparkListener(monitor);
        ScheduledExecutorService ticker =
                Executors.newSingleThreadScheduledExecutor(daemon("diffpure-progress"));
        ticker.scheduleAtFixedRate(
                monitor::print, o.progressSeconds(), o.progressSeconds(), TimeUnit.SECONDS);
        int ran;
        ChunkRunner runner =
                new ChunkRunner(
                        spark,
                        plan,
                        task,
                        tables,
                        markers,
                        runId,
                        group,
                        new java.util.concurrent.atomic.AtomicInteger(),
                        o.log());
        try {
            ran = runChunks(spark, runner, todo, inFlight(spark, plan), group, monitor);
        } finally {
            ticker.shutdownNow();
            sc.removeSparkListener(monitor);
        }
        // Chunks holding compute-error rows were written but not marked: a resume recomputes them.
        int doneNow = doneBefore + ran - runner.unmarked().get();
        boolean complete = doneNow == total;
        try {
            writeRun(
                    spark,
                    tables,
                    loaded,
                    prov,
                    plan,
                    doneNow,
                    complete ? "done" : "incomplete",
                    started,
                    new Timestamp(System.currentTimeMillis()),
                    sanity.json(),
                    AdjointSummary.of(spark, samples, runId));
        } catch (
                Exception
                        e) { // Spark's write errors are checked SparkExceptions, thrown undeclared
            // The chunks are committed and marked; only the run's status row is missing, and a
            // rerun (which finds every chunk done) writes it.
            throw new IllegalStateException(
                    "run "
                            + runId
                            + ": "
                            + doneNow
                            + " of "
                            + total
                            + " chunks are committed, but its row in the runs table could not be"
                            + " written ("
                            + e.getMessage()
                            + "); run the same command again to resume",
                    e);
        }
        RunMonitor.Utilisation u = monitor.utilisation();
        List<ExecutorLoads> perJvm = loadsPerJvm(loads.value());
        o.log()
                .printf(
                        Locale.ROOT,
                        "run %s: %s, %d chunks computed now, %d before; slot utilisation %s;"
                                + " %d failed and %d retried task attempts; models loaded %s;"
                                + " tables %s and %s%n",
                        runId,
                        complete ? "complete" : "incomplete",
                        ran,
                        doneBefore,
                        u == null
                                ? "-"
                                : String.format(
                                        Locale.ROOT,
                                        "%.2f (%.1f busy of %.1f slot-s over %.1f s)",
                                        u.ratio(),
                                        u.busySlotSeconds(),
                                        u.availableSlotSeconds(),
                                        u.windowSeconds()),
                        monitor.failedTasks(),
                        monitor.retriedTasks(),
                        describe(perJvm),
                        samples,
                        runs);
        return new Outcome(
                runId,
                samples,
                runs,
                ran,
                doneBefore,
                complete,
                perJvm,
                u == null ? Double.NaN : u.ratio(),
                monitor.failedTasks(),
                monitor.retriedTasks());
    }

    /**
     * The gradient-masking checks of a run: those a previous call recorded, else one Spark task
     * runs them now (before the chunks, so that every row of the subset carries their warnings).
     */
    private static SanityTask.Result sanity(
            SparkSession spark, ExperimentConfig c, RunPlan plan, Row previous, Options o) {
        if (c.sanity().subset() == 0) {
            return SanityTask.Result.NONE;
        }
        List<SampleRef> subset = SanityTask.subsetOf(plan, c.sanity().subset());
        if (previous != null && previous.getAs("sanity") != null) {
            return SanityTask.Result.parse(previous.getAs("sanity"), subset);
        }
        // One task that reruns the attack several times: say so, or the run looks stalled.
        o.log()
                .printf(
                        Locale.ROOT,
                        "gradient-masking checks on %d samples first (sanity.subset; %d tasks: the"
                                + " attack, at %sx its budget, at %sx eps, unbounded, and Square with"
                                + " %d queries) ...%n",
                        subset.size(),
                        SanityTask.taskCount(c),
                        fmt(c.sanity().iterationFactor()),
                        fmt(c.sanity().epsFactor()),
                        c.sanity().squareQueries());
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("diffpure " + c.runId() + " gradient-masking checks");
        String json = SanityTask.run(jsc, c, subset);
        jsc.setJobDescription(null);
        SanityTask.Result r = SanityTask.Result.parse(json, subset);
        o.log()
                .printf(
                        Locale.ROOT,
                        "gradient-masking checks on %d samples: %s%s%n",
                        subset.size(),
                        r.warnings().isEmpty() ? "no warning" : String.join("; ", r.warnings()),
                        r.adjointCosine().isEmpty()
                                ? ""
                                : String.format(
                                        Locale.ROOT,
                                        "; adjoint gradients against exact: smallest cosine %.4f",
                                        r.adjointCosine().values().stream()
                                                .mapToDouble(Double::doubleValue)
                                                .min()
                                                .getAsDouble()));
        return r;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** Spark setting: chunk jobs in flight at once (default: enough to fill every slot). */
    public static final String CHUNKS_IN_FLIGHT = "spark.diffpure.chunksInFlight";

    /**
     * Chunk jobs to keep in flight: {@link #CHUNKS_IN_FLIGHT} when set (1 runs chunks one after
     * another, as before), else enough that their tasks cover every slot twice over, so that slots
     * stay busy while chunks commit, plus one.
     */
    static int inFlight(SparkSession spark, RunPlan plan) {
        String set = spark.conf().get(CHUNKS_IN_FLIGHT, "");
        if (!set.isBlank()) {
            try {
                int n = Integer.parseInt(set.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(
                    CHUNKS_IN_FLIGHT + " must be an integer >= 1, found '" + set + "'");
        }
        int slots =
                Math.max(
                        1,
                        spark.sparkContext().defaultParallelism()
                                / spark.sparkContext().conf().getInt("spark.task.cpus", 1));
        int perChunk = Math.max(1, plan.chunks().stream().mapToInt(List::size).max().orElse(1));
        // Twice the slots: a chunk's commit (write, count, mark) leaves its slots to the next
        // chunks' queued tasks instead of idle.
        return (2 * slots + perChunk - 1) / perChunk + 1;
    }

    /** Runs the chunks with at most inFlight chunk jobs at once; returns how many committed. */
    private static int runChunks(
            SparkSession spark,
            ChunkRunner runner,
            List<Integer> todo,
            int inFlight,
            String group,
            RunMonitor monitor) {
        if (todo.isEmpty()) {
            return 0;
        }
        ExecutorService pool =
                Executors.newFixedThreadPool(
                        Math.min(inFlight, todo.size()), daemon("diffpure-chunks"));
        CompletionService<Integer> cs = new ExecutorCompletionService<>(pool);
        for (int k : todo) {
            cs.submit(
                    () -> {
                        runner.run(k);
                        return k;
                    });
        }
        int ran = 0;
        try {
            for (int i = 0; i < todo.size(); i++) {
                try {
                    cs.take().get();
                    ran++;
                    monitor.print();
                } catch (ExecutionException e) {
                    // Fail fast: the other chunks' jobs stop; their chunks stay unmarked.
                    spark.sparkContext().cancelJobGroup(group);
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(
                            "run "
                                    + runner.runId()
                                    + " stopped: "
                                    + e.getCause().getMessage()
                                    + "; "
                                    + ran
                                    + " chunks were committed by this call, the others are"
                                    + " not marked done ("
                                    + runner.markers().dir()
                                    + "); run the same command again to resume",
                            e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            spark.sparkContext().cancelJobGroup(group);
            throw new IllegalStateException("interrupted while chunks ran", e);
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return ran;
    }

    /**
     * One chunk's job and its commit: write, count, mark. A chunk with compute-error rows (failures
     * that survived every task attempt) is written but not marked, so a resume recomputes it;
     * unmarked counts those.
     */
    private record ChunkRunner(
            SparkSession spark,
            RunPlan plan,
            EvalTask task,
            TableCommitter tables,
            ChunkMarkers markers,
            String runId,
            String group,
            java.util.concurrent.atomic.AtomicInteger unmarked,
            PrintStream log) {
        void run(int k) {
            try {
                commit(k);
            } catch (RuntimeException e) {
                throw new IllegalStateException("chunk " + k + " failed: " + e.getMessage(), e);
            }
        }

        private void commit(int k) {
            SparkContext sc = spark.sparkContext();
            sc.setJobGroup(
                    group, "diffpure " + runId + " chunk " + k + "/" + plan.chunks().size(), true);
            List<PartitionWork> parts = plan.chunks().get(k);
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
            // One element per slice: partition p of the RDD is planned partition p.
            JavaRDD<Row> rows = jsc.parallelize(parts, parts.size()).mapPartitions(task);
            tables.writeChunk(spark.createDataFrame(rows, SampleRows.SCHEMA), runId, k);
            long planned = chunkSamples(plan, k);
            // Count the chunk's own directory: other chunks may be committing beside it.
            String dir = tables.chunkPath(runId, k);
            long written = spark.read().schema(chunkSchema()).parquet(dir).count();
            if (written != planned) {
                throw new IllegalStateException(
                        "chunk "
                                + k
                                + " of run "
                                + runId
                                + ": "
                                + written
                                + " rows in "
                                + dir
                                + " but "
                                + planned
                                + " planned");
            }
            long computeErrors =
                    spark.read()
                            .schema(chunkSchema())
                            .parquet(dir)
                            .where("error_kind = '" + BatchRunner.COMPUTE + "'")
                            .count();
            if (computeErrors > 0) {
                unmarked.incrementAndGet();
                log.printf(
                        Locale.ROOT,
                        "chunk %d: %d compute-error rows; not marked done, a resume recomputes it%n",
                        k,
                        computeErrors);
                return;
            }
            markers.markDone(k, written);
        }
    }

    private static StructType chunkSchema() {
        StructType s = new StructType();
        for (var f : SampleRows.SCHEMA.fields()) {
            if (!f.name().equals("run_id") && !f.name().equals("chunk")) {
                s = s.add(f);
            }
        }
        return s;
    }

    private static long chunkSamples(RunPlan plan, int k) {
        return plan.chunks().get(k).stream().mapToLong(p -> p.samples().size()).sum();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** The last report of each JVM (highest counts: loads only grow within a JVM). */
    static List<ExecutorLoads> loadsPerJvm(List<String> reports) {
        Map<Long, ExecutorLoads> byPid = new TreeMap<>();
        for (String r : reports) {
            String[] f = r.split(" ");
            ExecutorLoads l =
                    new ExecutorLoads(
                            f[0],
                            Long.parseLong(f[1]),
                            Integer.parseInt(f[2]),
                            Integer.parseInt(f[3]));
            byPid.merge(
                    l.pid(),
                    l,
                    (a, b) ->
                            new ExecutorLoads(
                                    a.executor(),
                                    a.pid(),
                                    Math.max(a.scoreModel(), b.scoreModel()),
                                    Math.max(a.classifier(), b.classifier())));
        }
        return List.copyOf(byPid.values());
    }

    private static String describe(List<ExecutorLoads> perJvm) {
        if (perJvm.isEmpty()) {
            return "by no task";
        }
        boolean once = perJvm.stream().allMatch(l -> l.scoreModel() == 1 && l.classifier() == 1);
        return once
                ? "once in each of " + perJvm.size() + " executor JVMs"
                : "more than once in an executor JVM: " + perJvm;
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
            {"score model", previous.getAs("score_model_sha256"), now.scoreModelSha256()},
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
            TableCommitter tables,
            ConfigLoader.Loaded loaded,
            Provenance p,
            RunPlan plan,
            int chunksDone,
            String status,
            Timestamp started,
            Timestamp ended,
            String sanity,
            AdjointSummary adjoint) {
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
                        p.scoreModelName(),
                        p.scoreModelSha256(),
                        p.classifierName(),
                        p.classifierSha256(),
                        p.datasetSource(),
                        plan.samples(),
                        plan.chunks().size(),
                        chunksDone,
                        started,
                        ended,
                        SampleRows.SCHEMA_VERSION,
                        sanity,
                        adjoint.reconstructionErrorMax(),
                        adjoint.cosineMin());
        tables.writeRun(spark.createDataFrame(List.of(row), RUNS_SCHEMA).coalesce(1), p.runId());
    }

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
            if (!exists(fileSystem(p, spark.sparkContext().hadoopConfiguration()), p)) {
                return NONE;
            }
            Row r =
                    spark.read()
                            .schema(SampleRows.SCHEMA)
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
}
