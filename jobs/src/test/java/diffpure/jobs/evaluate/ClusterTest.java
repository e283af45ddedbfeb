package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigLoader;
import diffpure.experiment.Experiments;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TablePaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluation job on a real standalone cluster on 127.0.0.1 ({@link LoopbackCluster}: a Master
 * and 2 one-core Workers, executors in JVMs of their own, the project shipped as bin/spark-submit-
 * eval ships it): rows equal a local run's, each executor JVM loads each model once, nothing
 * listens outside loopback; an executor SIGKILLed in the middle of a batch and a SIGKILLed driver
 * (a {@code java -cp} launch, started again) both end with the tables of an undisturbed run, 0 rows
 * lost and 0 duplicated; the fixture leaves no process behind.
 */
class ClusterTest {
    @TempDir static Path tmp;
    private static LoopbackCluster cluster;
    private static SparkSession spark;
    private static String reference;
    private static String runId;

    /** 8 samples, one per task, 2 per chunk: 4 chunks, 8 tasks on 2 slots. */
    private static List<String> settings(Path output) {
        return TinyRuns.settings(
                output,
                "data.count=8",
                "run.chunk-samples=2",
                "run.partition-samples=1",
                "run.batch-samples=1");
    }

    private static ConfigLoader.Loaded config(Path output) {
        return Experiments.load(null, settings(output), Map.of(), new java.util.Properties());
    }

    @BeforeAll
    static void start() {
        // The undisturbed reference: the same config in local mode, in this JVM.
        SparkSession local = TinyRuns.session("ClusterTest-local");
        try {
            EvaluationJob.Outcome o =
                    EvaluationJob.run(local, config(tmp.resolve("local")), TinyRuns.options());
            assertTrue(o.complete());
            reference = o.samplesPath();
            runId = o.runId();
        } finally {
            local.stop();
        }
        cluster = LoopbackCluster.start(tmp.resolve("cluster"), 2);
        spark = cluster.session("ClusterTest");
    }

    @AfterAll
    static void stop() throws Exception {
        if (spark != null) {
            spark.stop();
        }
        if (cluster != null) {
            Set<Long> started = cluster.seenPids();
            cluster.close();
            for (long pid : started) {
                assertFalse(ProcessHandle.of(pid).isPresent(), "process " + pid + " left running");
            }
        }
    }

    private static Dataset<Row> rows(String samples) {
        return spark.read().parquet(samples).where(functions.col("run_id").equalTo(runId));
    }

    /** Asserts the reference's rows: 8, none duplicated, none different. */
    private static void assertSameAsReference(String samples) {
        Dataset<Row> d = rows(samples);
        assertEquals(8, d.count(), "rows (lost?)");
        assertEquals(8, d.select("sample_id").distinct().count(), "distinct samples (duplicated?)");
        Dataset<Row> a = deterministic(rows(reference));
        Dataset<Row> b = deterministic(d);
        assertEquals(0, a.exceptAll(b).count(), "reference rows missing or different");
        assertEquals(0, b.exceptAll(a).count(), "rows not in the reference");
    }

    private static Dataset<Row> deterministic(Dataset<Row> d) {
        List<Column> cols = new ArrayList<>();
        for (String f : SamplesTable.SCHEMA.fieldNames()) {
            if (!SamplesTable.NONDETERMINISTIC.contains(f) && !f.equals("run_id")) {
                cols.add(functions.col(f));
            }
        }
        return d.select(cols.toArray(new Column[0]));
    }

    @Test
    void rowsEqualALocalRunAndEachExecutorJvmLoadsEachModelOnce() throws IOException {
        EvaluationJob.Outcome o =
                EvaluationJob.run(
                        spark,
                        config(tmp.resolve("on-cluster")),
                        new EvaluationJob.Options("test", -1, 5, System.out));
        assertTrue(o.complete());
        assertSameAsReference(o.samplesPath());
        // Counted on the executors: JVMs other than this one, each loaded each model once.
        Set<Long> clusterPids = cluster.seenPids();
        assertFalse(o.modelLoads().isEmpty());
        for (ExecutorLoads l : o.modelLoads()) {
            assertNotEquals(ProcessHandle.current().pid(), l.pid());
            assertTrue(clusterPids.contains(l.pid()), l + " is not an executor of the cluster");
            assertEquals(1, l.scoreModel(), l.toString());
            assertEquals(1, l.classifier(), l.toString());
        }
        assertEquals(
                o.modelLoads().size(),
                rows(o.samplesPath()).select("executor").distinct().count(),
                "one load report per executor that wrote rows");
        // Nothing listens outside loopback: the driver (this JVM), Master, Workers, executors.
        Set<Long> pids = new HashSet<>(clusterPids);
        pids.add(ProcessHandle.current().pid());
        List<String> listening = LoopbackCluster.listening(pids);
        assertTrue(listening.size() >= 4, "listening sockets found: " + listening);
        for (String a : listening) {
            assertTrue(LoopbackCluster.loopback(a), "listens outside loopback: " + a);
        }
    }

    @Test
    void anExecutorKilledMidBatchLosesNoRow() throws Exception {
        // Kill the executor running a task once it has finished one before (its models are
        // loaded): the kill lands in the middle of a batch.
        Map<String, Integer> finished = new ConcurrentHashMap<>();
        CompletableFuture<String> victim = new CompletableFuture<>();
        SparkListener watch =
                new SparkListener() {
                    @Override
                    public void onTaskEnd(SparkListenerTaskEnd e) {
                        finished.merge(e.taskInfo().executorId(), 1, Integer::sum);
                    }

                    @Override
                    public void onTaskStart(SparkListenerTaskStart e) {
                        if (finished.getOrDefault(e.taskInfo().executorId(), 0) > 0) {
                            victim.complete(e.taskInfo().executorId());
                        }
                    }
                };
        spark.sparkContext().addSparkListener(watch);
        try {
            CompletableFuture<EvaluationJob.Outcome> run =
                    CompletableFuture.supplyAsync(
                            () ->
                                    EvaluationJob.run(
                                            spark,
                                            config(tmp.resolve("executor-killed")),
                                            new EvaluationJob.Options("test", -1, 5, System.out)));
            String id = victim.get(240, TimeUnit.SECONDS);
            Thread.sleep(300);
            ProcessHandle executor =
                    cluster.executors(spark.sparkContext().applicationId()).stream()
                            .filter(
                                    h ->
                                            h.info()
                                                    .arguments()
                                                    .map(a -> List.of(a).contains(id))
                                                    .orElse(false))
                            .findFirst()
                            .orElseThrow(() -> new AssertionError("no JVM for executor " + id));
            assertTrue(executor.destroyForcibly(), "SIGKILL sent");
            executor.onExit().get(30, TimeUnit.SECONDS);
            EvaluationJob.Outcome o = run.get(600, TimeUnit.SECONDS);
            assertTrue(o.complete());
            assertTrue(o.failedTasks() >= 1, "the killed executor's task counted as failed");
            assertTrue(o.retriedTasks() >= 1, "and rerun");
            assertSameAsReference(o.samplesPath());
        } finally {
            spark.sparkContext().removeSparkListener(watch);
        }
    }

    @Test
    void aKilledDriverResumesAndComputesOnlyWhatWasNotCommitted() throws Exception {
        Path out = tmp.resolve("driver-killed");
        Path progress = out.resolve("_progress").resolve(runId);
        List<String> cmd = driverCommand(out);
        Process first = start(cmd, tmp.resolve("driver-1.log"));
        Process second = null;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (!Files.exists(progress.resolve("chunk-00000.done"))) {
                assertTrue(first.isAlive(), "the driver ended early:\n" + log("driver-1.log"));
                assertTrue(System.nanoTime() < deadline, "no chunk done:\n" + log("driver-1.log"));
                Thread.sleep(100);
            }
            first.toHandle().destroyForcibly();
            assertEquals(137, first.waitFor(), "SIGKILL");
            int doneAtKill;
            try (var s = Files.list(progress)) {
                doneAtKill = (int) s.filter(p -> p.toString().endsWith(".done")).count();
            }
            assertTrue(doneAtKill < 4, "killed after the run ended: nothing to resume");
            second = start(cmd, tmp.resolve("driver-2.log"));
            assertTrue(second.waitFor(600, TimeUnit.SECONDS), "the resumed driver did not end");
            String resumed = log("driver-2.log");
            assertEquals(0, second.exitValue(), resumed);
            assertTrue(
                    resumed.contains("(" + doneAtKill + " done before), resuming"),
                    "resumed from " + doneAtKill + " chunks:\n" + resumed);
            assertTrue(
                    resumed.contains(
                            "complete, "
                                    + (4 - doneAtKill)
                                    + " chunks computed now, "
                                    + doneAtKill),
                    "computed only the chunks not committed:\n" + resumed);
            assertSameAsReference(TablePaths.samples(out.toUri().toString()));
            assertEquals(
                    "done",
                    spark.read()
                            .parquet(TablePaths.runs(out.toUri().toString()))
                            .where(functions.col("run_id").equalTo(runId))
                            .first()
                            .getAs("status"));
        } finally {
            first.destroyForcibly();
            if (second != null) {
                second.destroyForcibly();
            }
        }
    }

    /**
     * {@code java -cp} as bin/diffpure launches the driver (local[2]: a standalone application
     * would wait for this class's session to release the Workers' cores).
     */
    private static List<String> driverCommand(Path out) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(cluster.jvmFlags().split("\\s+")));
        cmd.addAll(
                List.of(
                        "-Xmx1g",
                        "-Dspark.master=local[2]",
                        "-Dspark.ui.enabled=false",
                        "-Dspark.driver.host=127.0.0.1",
                        "-Dspark.driver.bindAddress=127.0.0.1",
                        "-Dspark.executor.heartbeatInterval=2s"));
        List<String> cp = new ArrayList<>();
        cp.add(TinyRuns.ROOT.resolve("jobs/target/classes").toAbsolutePath().toString());
        cp.addAll(LoopbackCluster.runtimeClasspath());
        cmd.addAll(List.of("-cp", String.join(":", cp), "diffpure.jobs.Main", "evaluate"));
        cmd.add("--progress-seconds=5");
        for (String s : settings(out)) {
            cmd.add("--set");
            cmd.add(s);
        }
        return cmd;
    }

    private static Process start(List<String> cmd, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("DIFFPURE_GIT_SHA", "test");
        return pb.start();
    }

    private static String log(String name) throws IOException {
        return Files.readString(tmp.resolve(name));
    }
}
