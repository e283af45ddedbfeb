package diffpure.jobs.eval;

import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.data.Datasets;
import diffpure.data.ImageDataset;
import diffpure.gradient.GradientPlan;
import diffpure.jobs.run.ChunkEngine;
import diffpure.jobs.run.ModelCache;
import diffpure.jobs.run.StopRule;
import diffpure.jobs.store.AdjointSummary;
import diffpure.jobs.store.ChunkMarkers;
import diffpure.jobs.store.Provenance;
import diffpure.jobs.store.RunsTable;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TableCommitter;
import diffpure.jobs.store.TablePaths;
import diffpure.model.ModelManifest;
import java.io.PrintStream;
import java.sql.Timestamp;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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
        String samples = TablePaths.samples(c.run().output());
        String runs = TablePaths.runs(c.run().output());
        TableCommitter tables = TableCommitter.of(spark, samples, "run_id");
        TableCommitter runsTable = TableCommitter.of(spark, runs, "run_id");
        ChunkMarkers markers =
                new ChunkMarkers(TablePaths.runProgress(c.run().output(), runId), conf);
        Timestamp started = new Timestamp(System.currentTimeMillis());
        Row previous = RunsTable.previous(spark, runs, runId);
        if (previous != null) {
            RunsTable.refuseChanged(previous, prov);
            started = previous.getAs("started");
        }
        int total = plan.chunks().size();
        String group = "diffpure-" + runId + "-" + UUID.randomUUID();
        ChunkEngine engine =
                new ChunkEngine(
                        spark,
                        new ChunkEngine.Target(
                                "run " + runId, runId, tables, SamplesTable.CHUNK_SCHEMA, markers),
                        group);
        List<Integer> all = IntStream.range(0, total).boxed().toList();
        List<Integer> todo = engine.notDone(all);
        List<Integer> doneEarlier = all.stream().filter(k -> !todo.contains(k)).toList();
        long samplesBefore = doneEarlier.stream().mapToLong(k -> chunkSamples(plan, k)).sum();
        int doneBefore = total - todo.size();
        List<Integer> toRun =
                o.stopAfterChunks() >= 0 && todo.size() > o.stopAfterChunks()
                        ? todo.subList(0, o.stopAfterChunks())
                        : todo;
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
        RunsTable.Run run =
                new RunsTable.Run(
                        loaded, prov, plan.samples(), plan.chunks().size(), sanity.json());
        RunsTable.write(
                spark,
                runsTable,
                run,
                new RunsTable.State("running", doneBefore, started, null, AdjointSummary.NONE));
        LongAccumulator done = sc.longAccumulator("diffpure samples done");
        CollectionAccumulator<String> loads = sc.collectionAccumulator("diffpure model loads");
        EvalTask task = new EvalTask(c, prov, done, loads, o.hook(), sanity);
        RunMonitor monitor =
                new RunMonitor(sc, group, done, plan.samples(), samplesBefore, o.log());
        sc.addSparkListener(monitor);
        ScheduledExecutorService ticker =
                Executors.newSingleThreadScheduledExecutor(daemon("diffpure-progress"));
        ticker.scheduleAtFixedRate(
                monitor::print, o.progressSeconds(), o.progressSeconds(), TimeUnit.SECONDS);
        ChunkEngine.Result result;
        try {
            result =
                    engine.run(
                            toRun,
                            doneEarlier,
                            new ChunkEngine.Schedule(inFlight(spark, plan), StopRule.NEVER),
                            new EvalChunks(spark, plan, task, runId, o.log()),
                            monitor::print);
        } finally {
            ticker.shutdownNow();
            sc.removeSparkListener(monitor);
        }
        int ran = result.committed();
        // Chunks holding compute-error rows were written but not marked: a resume recomputes them.
        int doneNow = doneBefore + ran - result.unmarked();
        boolean complete = doneNow == total;
        try {
            RunsTable.write(
                    spark,
                    runsTable,
                    run,
                    new RunsTable.State(
                            complete ? "done" : "incomplete",
                            doneNow,
                            started,
                            new Timestamp(System.currentTimeMillis()),
                            AdjointSummary.of(spark, samples, runId)));
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

    /**
     * An evaluation's chunks: the planned partitions of a chunk through {@link EvalTask}. A chunk
     * with compute-error rows (failures that survived every task attempt) is written but not
     * marked, so a resume recomputes it.
     */
    private record EvalChunks(
            SparkSession spark, RunPlan plan, EvalTask task, String runId, PrintStream log)
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
            return chunkSamples(plan, k);
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
}
