package diffpure.jobs.evaluate;

import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.data.Datasets;
import diffpure.data.ImageDataset;
import diffpure.eval.StoppingRule;
import diffpure.jobs.run.ChunkEngine;
import diffpure.jobs.run.ModelCache;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.run.StopRule;
import diffpure.jobs.run.TaskSpec;
import diffpure.jobs.store.AdjointSummary;
import diffpure.jobs.store.ChunkMarkers;
import diffpure.jobs.store.Provenance;
import diffpure.jobs.store.RunsTable;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TableCommitter;
import diffpure.jobs.store.TablePaths;
import java.io.PrintStream;
import java.sql.Timestamp;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
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
     * @param maxChunks commit at most this many chunks in this call, then stop (-1: all); running
     *     the same command again resumes (a time-boxed window, a smoke check of a big run)
     * @param progressSeconds seconds between progress lines
     * @param log where progress goes
     */
    public record Options(String gitSha, int maxChunks, int progressSeconds, PrintStream log) {
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
     * @param modelLoads per executor JVM that ran a task, how often it loaded each model
     * @param slotUtilisation busy over available slot-seconds of this call's tasks (NaN: none ran)
     * @param failedTasks task attempts that failed (lost executors included)
     * @param retriedTasks task attempts after a first one
     * @param stop where the stopping rule ended the run (null: no rule, or the run goes on)
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
            int retriedTasks,
            StoppedRun stop) {}

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
        Call call = start(spark, loaded, o);
        SparkContext sc = spark.sparkContext();
        LongAccumulator done = sc.longAccumulator("diffpure samples done");
        CollectionAccumulator<String> loads = sc.collectionAccumulator("diffpure model loads");
        EvalTask task =
                new EvalTask(
                        call.settings(),
                        call.prov(),
                        done,
                        loads,
                        call.sanity(),
                        call.plan().firstValid(loaded.report().gallerySamples()).stream()
                                .map(SampleRef::id)
                                .collect(java.util.stream.Collectors.toSet()));
        RunPlan plan = call.plan();
        RunMonitor monitor =
                new RunMonitor(
                        sc, call.group(), done, plan.samples(), call.samplesBefore(), o.log());
        sc.addSparkListener(monitor);
        ScheduledExecutorService ticker =
                Executors.newSingleThreadScheduledExecutor(daemon("diffpure-progress"));
        ticker.scheduleAtFixedRate(
                monitor::print, o.progressSeconds(), o.progressSeconds(), TimeUnit.SECONDS);
        int perChunk = plan.chunks().stream().mapToInt(List::size).max().orElse(1);
        PrefixStop rule = call.rule();
        List<Integer> toRun = call.toRun(o.maxChunks());
        if (rule != null && rule.ended(call.doneEarlier()) != null) {
            // A rerun of a stopped run with the same rule: the committed prefix already holds it.
            toRun = List.of();
        }
        ChunkEngine.Result result;
        try {
            result =
                    call.engine()
                            .run(
                                    toRun,
                                    call.doneEarlier(),
                                    new ChunkEngine.Schedule(
                                            ChunkEngine.inFlight(spark, perChunk),
                                            rule == null ? StopRule.NEVER : rule),
                                    new EvalChunks(spark, plan, task, call.runId(), o.log()),
                                    monitor::print);
        } finally {
            ticker.shutdownNow();
            sc.removeSparkListener(monitor);
        }
        return finish(spark, call, result, monitor, ModelLoads.loadsPerJvm(loads.value()), o);
    }

    /**
     * A call of {@link #run}, once started: its plan and provenance, the tables, what earlier calls
     * did and the gradient-masking checks.
     */
    private record Call(
            ExperimentConfig config,
            List<TaskSpec> settings,
            RunPlan plan,
            Provenance prov,
            String group,
            ChunkEngine engine,
            TableCommitter runsTable,
            RunsTable.Run run,
            Timestamp started,
            List<Integer> todo,
            List<Integer> doneEarlier,
            SanityTask.Result sanity,
            PrefixStop rule) {
        String runId() {
            return prov.runId();
        }

        long samplesBefore() {
            return doneEarlier.stream().mapToLong(k -> chunkSamples(plan, k)).sum();
        }

        List<Integer> toRun(int maxChunks) {
            return ChunkEngine.atMost(todo, maxChunks);
        }
    }

    /**
     * Checks and plans the run on the driver, refuses a resume of a changed run, runs (or reuses)
     * the gradient-masking checks and writes the run's row as running.
     */
    private static Call start(SparkSession spark, ConfigLoader.Loaded loaded, Options o) {
        ExperimentConfig c = loaded.config();
        String runId = c.runId();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        // Everything the driver can check from the config and the manifests, before any task.
        TaskSpec.Manifests manifests = Preflight.check(c, conf);
        PrefixStop.refuseUnsupported(c);
        ImageDataset data = Datasets.open(c.data(), conf);
        RunPlan plan = RunPlan.of(c, data);
        Provenance prov = provenance(c, o.gitSha(), data.source(), conf);
        // What the tasks compute, resolved here once: a budget nothing fits, or auto without one,
        // fails here rather than in every task (each setting of a sweep: t* sets the chain length).
        List<TaskSpec> settings = manifests.settings(c);
        String output = c.run().output();
        TableCommitter runsTable = TableCommitter.of(spark, TablePaths.runs(output), "run_id");
        Timestamp started = new Timestamp(System.currentTimeMillis());
        Row previous = RunsTable.previous(spark, TablePaths.runs(output), runId);
        if (previous != null) {
            RunsTable.refuseChanged(previous, prov);
            started = previous.getAs("started");
        }
        String group = "diffpure-" + runId + "-" + UUID.randomUUID();
        TableCommitter samples = TableCommitter.of(spark, TablePaths.samples(output), "run_id");
        ChunkEngine engine =
                new ChunkEngine(
                        spark,
                        new ChunkEngine.Target(
                                "run " + runId,
                                runId,
                                samples,
                                SamplesTable.CHUNK_SCHEMA,
                                new ChunkMarkers(TablePaths.runProgress(output, runId), conf)),
                        group);
        PrefixStop rule =
                StoppingRule.forRun(c).active()
                        ? new PrefixStop(spark, samples, c, plan, data.size())
                        : null;
        int total = plan.chunks().size();
        List<Integer> all = IntStream.range(0, total).boxed().toList();
        List<Integer> todo = engine.notDone(all);
        List<Integer> doneEarlier = all.stream().filter(k -> !todo.contains(k)).toList();
        o.log()
                .printf(
                        Locale.ROOT,
                        "run %s: %d samples in %d chunks (%d done before), %s%n",
                        runId,
                        plan.samples(),
                        total,
                        doneEarlier.size(),
                        previous == null ? "new run" : "resuming");
        SanityTask.Result sanity =
                SanityStage.run(
                        spark, manifests.spec(c), plan, previous, o.progressSeconds(), o.log());
        RunsTable.Run run = new RunsTable.Run(loaded, prov, plan.samples(), total, sanity.json());
        RunsTable.write(
                spark,
                runsTable,
                run,
                new RunsTable.State(
                        "running", doneEarlier.size(), started, null, AdjointSummary.NONE, null));
        return new Call(
                c,
                settings,
                plan,
                prov,
                group,
                engine,
                runsTable,
                run,
                started,
                todo,
                doneEarlier,
                sanity,
                rule);
    }

    /** The provenance every row carries. */
    private static Provenance provenance(
            ExperimentConfig c, String gitSha, String dataSource, Configuration conf) {
        String[] scoreModel =
                ModelCache.manifestOf(c.models().scoreModel(), conf, c.models().manifestLimits());
        String[] clf =
                ModelCache.manifestOf(c.models().classifier(), conf, c.models().manifestLimits());
        return new Provenance(
                c.runId(),
                gitSha,
                c.configHash(),
                scoreModel[0],
                scoreModel[1],
                clf[0],
                clf[1],
                dataSource,
                c.models().hasPerceptual()
                        ? ModelCache.manifestOf(
                                c.models().perceptual(), conf, c.models().manifestLimits())[1]
                        : "");
    }

    /** Writes the run's final row and prints its summary line. */
    private static Outcome finish(
            SparkSession spark,
            Call call,
            ChunkEngine.Result result,
            RunMonitor monitor,
            List<ExecutorLoads> perJvm,
            Options o) {
        String runId = call.runId();
        String output = call.config().run().output();
        int total = call.plan().chunks().size();
        int ran = result.committed();
        int doneBefore = call.doneEarlier().size();
        // Chunks holding compute-error rows were written but not marked: a resume recomputes them.
        int doneNow = doneBefore + ran - result.unmarked();
        StoppedRun stop =
                call.rule() == null ? null : StoppedRun.at(call.plan(), call.engine(), call.rule());
        boolean complete = doneNow == total || stop != null;
        writeFinalRow(
                spark,
                call,
                complete ? "done" : "incomplete",
                doneNow,
                stop == null ? null : stop.row());
        RunMonitor.Utilisation u = monitor.utilisation();
        String samples = TablePaths.samples(output);
        String runs = TablePaths.runs(output);
        o.log()
                .printf(
                        Locale.ROOT,
                        "run %s: %s, %d chunks computed now, %d before; slot utilisation %s;"
                                + " %d failed and %d retried task attempts; models loaded %s;"
                                + " tables %s and %s%n",
                        runId,
                        stop != null ? stop.text() : complete ? "complete" : "incomplete",
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
                        ModelLoads.describe(perJvm),
                        samples,
                        runs);
        if (!complete) {
            ChunkEngine.printLeft("run " + runId, total - doneNow, o.maxChunks(), o.log());
        }
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
                monitor.retriedTasks(),
                stop);
    }

    private static void writeFinalRow(
            SparkSession spark, Call call, String status, int doneNow, RunsTable.Stop stop) {
        String runId = call.runId();
        try {
            RunsTable.write(
                    spark,
                    call.runsTable(),
                    call.run(),
                    new RunsTable.State(
                            status,
                            doneNow,
                            call.started(),
                            new Timestamp(System.currentTimeMillis()),
                            AdjointSummary.of(
                                    spark, TablePaths.samples(call.config().run().output()), runId),
                            stop));
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
                            + call.plan().chunks().size()
                            + " chunks are committed, but its row in the runs table could not be"
                            + " written ("
                            + e.getMessage()
                            + "); run the same command again to resume",
                    e);
        }
    }

    static long chunkSamples(RunPlan plan, int k) {
        return plan.chunks().get(k).stream().mapToLong(p -> p.samples().size()).sum();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
