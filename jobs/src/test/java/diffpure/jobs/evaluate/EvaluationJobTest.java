package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.attack.Attacks;
import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.data.IdxDataset;
import diffpure.data.Sample;
import diffpure.eval.RobustnessEvaluator;
import diffpure.eval.SampleOutcome;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientModes;
import diffpure.jobs.cli.EvaluateCommand;
import diffpure.jobs.run.ModelCache;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.store.ResultTables;
import diffpure.jobs.store.SamplesTable;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.purify.Purifiers;
import diffpure.torch.TorchThreads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The evaluation job end to end in local mode on the demo models with tiny budgets: rows equal to
 * the core API in-process, retries and resumes reproduce the uninterrupted run (0 lost, 0
 * duplicated), changed configs and models are refused, bad samples become error rows, one row
 * replays in-process.
 */
class EvaluationJobTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static ConfigLoader.Loaded baseline;
    private static Dataset<Row> baselineRows;

    @BeforeAll
    static void runBaseline() {
        spark = TinyRuns.session("EvaluationJobTest");
        baseline = TinyRuns.config(tmp.resolve("baseline"));
        EvaluationJob.Outcome o = EvaluationJob.run(spark, baseline, TinyRuns.options());
        assertTrue(o.complete());
        assertEquals(2, o.chunksRun());
        // 3 tasks on 2 threads of one JVM, 2 chunks: each model loaded once.
        assertEquals(1, ModelCache.loads(baseline.config().models().scoreModel(), Device.cpu()));
        assertEquals(1, ModelCache.loads(baseline.config().models().classifier(), Device.cpu()));
        baselineRows = rows(o.samplesPath(), o.runId()).cache();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static Dataset<Row> rows(String path, String runId) {
        return spark.read().parquet(path).where(functions.col("run_id").equalTo(runId));
    }

    /** The columns a rerun must reproduce exactly. */
    private static Dataset<Row> deterministic(Dataset<Row> d) {
        List<Column> cols = new ArrayList<>();
        for (String f : SamplesTable.SCHEMA.fieldNames()) {
            if (!SamplesTable.NONDETERMINISTIC.contains(f) && !f.equals("run_id")) {
                cols.add(functions.col(f));
            }
        }
        return d.select(cols.toArray(new Column[0]));
    }

    /** Asserts the same rows as the baseline: none lost, none duplicated, none different. */
    private static void assertSameAsBaseline(Dataset<Row> d) {
        assertEquals(6, d.count(), "rows");
        assertEquals(6, d.select("sample_id").distinct().count(), "distinct samples (duplicates?)");
        Dataset<Row> a = deterministic(baselineRows);
        Dataset<Row> b = deterministic(d);
        assertEquals(0, a.exceptAll(b).count(), "baseline rows missing or different");
        assertEquals(0, b.exceptAll(a).count(), "rows not in the baseline");
    }

    @Test
    void rowsEqualTheCoreApiInProcess() throws IOException {
        List<Row> rows = baselineRows.orderBy("sample_index").collectAsList();
        assertEquals(6, rows.size());
        ExperimentConfig c = baseline.config();
        // Every row carries its provenance.
        for (Row r : rows) {
            assertNull(r.getAs("error"));
            assertEquals(c.configHash(), r.getAs("config_hash"));
            assertEquals("test", r.getAs("git_sha"));
            assertEquals(7L, r.<Long>getAs("seed"));
            assertEquals(64, r.<String>getAs("score_model_sha256").length());
            assertEquals(SamplesTable.SCHEMA_VERSION, r.<Integer>getAs("schema_version"));
            assertEquals(784, r.getList(r.fieldIndex("perturbation")).size());
            assertTrue(r.<Double>getAs("linf") <= 8.0 / 255 + 1e-6);
        }
        // The same batches through the core API, without Spark or the job's code.
        TorchThreads.ensure(1);
        IdxDataset data =
                IdxDataset.read(
                        TinyRuns.ROOT.resolve("models/demo/data/t10k-images-idx3-ubyte.gz"),
                        TinyRuns.ROOT.resolve("models/demo/data/t10k-labels-idx1-ubyte.gz"),
                        10);
        try (PtScoreModel scoreModel =
                        PtScoreModel.load(
                                TinyRuns.ROOT.resolve("models/demo/eps.pt"), Device.cpu());
                PtClassifier clf =
                        PtClassifier.load(
                                TinyRuns.ROOT.resolve("models/demo/classifier.pt"), Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DefendedModel model =
                    new DefendedModel(
                            Purifiers.spec(c.purify())
                                    .build(scoreModel, scoreModel.manifest().schedule()),
                            clf,
                            GradientModes.byName("exact"),
                            2,
                            0,
                            7);
            RobustnessEvaluator ev =
                    new RobustnessEvaluator(model, Attacks.build(c.attack()), 3, 7, 0, 64);
            for (int from = 0; from < rows.size(); from += 2) {
                List<Row> batch = rows.subList(from, from + 2);
                float[] px = new float[2 * 784];
                long[] y = new long[2];
                long[] ids = new long[2];
                for (int i = 0; i < 2; i++) {
                    Sample s = data.get(batch.get(i).<Integer>getAs("sample_index"));
                    System.arraycopy(s.image(), 0, px, i * 784, 784);
                    y[i] = s.label();
                    ids[i] = s.id();
                }
                List<SampleOutcome> out =
                        ev.evaluate(m.create(px, new Shape(2, 1, 28, 28)), m.create(y), ids);
                for (int i = 0; i < 2; i++) {
                    Row r = batch.get(i);
                    SampleOutcome o = out.get(i);
                    assertEquals(o.sampleId(), r.<Long>getAs("sample_id"));
                    assertEquals(o.label(), r.<Integer>getAs("label"));
                    assertArrayEquals(o.votes().clean(), SamplesTable.toOutcome(r).votes().clean());
                    assertArrayEquals(
                            o.votes().adversarial(),
                            SamplesTable.toOutcome(r).votes().adversarial());
                    assertEquals(o.votes().cleanPrediction(), r.<Integer>getAs("clean_prediction"));
                    assertEquals(
                            o.votes().adversarialPrediction(),
                            r.<Integer>getAs("adversarial_prediction"));
                    assertEquals(o.attack().perturbation().linf(), r.<Double>getAs("linf"));
                    assertEquals(o.attack().perturbation().l2(), r.<Double>getAs("l2"));
                    assertArrayEquals(
                            o.attack().perturbation().delta(),
                            SamplesTable.toOutcome(r).attack().perturbation().delta());
                    assertEquals(o.cost().gradients(), r.<Long>getAs("gradient_evaluations"));
                    assertEquals(
                            o.attack().duringAttack().evaluations(),
                            r.<Long>getAs("during_attack_evaluations"));
                }
            }
        }
    }

    @Test
    void theSummaryReadsOnlyTheColumnsItNeeds() {
        // A table of its own: the baseline's cached rows would stand in for the scan.
        String path = tmp.resolve("summary-columns").toUri().toString();
        SummaryHeapBench.synthetic(spark, 40, 784)
                .write()
                .partitionBy("run_id", "chunk")
                .parquet(path);
        Dataset<Row> d = ResultTables.summaryRows(spark, path, "synthetic");
        List<String> read = new ArrayList<>();
        for (var leaf :
                scala.jdk.javaapi.CollectionConverters.asJava(
                        d.queryExecution().sparkPlan().collectLeaves())) {
            if (leaf instanceof org.apache.spark.sql.execution.FileSourceScanExec scan) {
                read.addAll(List.of(scan.requiredSchema().fieldNames()));
            }
        }
        assertFalse(read.isEmpty(), "no file scan in " + d.queryExecution().sparkPlan());
        assertFalse(read.contains("perturbation"), read.toString());
        List<String> expected = new ArrayList<>(ResultTables.SUMMARY_COLUMNS);
        expected.addAll(ResultTables.LOGIT_COLUMNS); // schema 2 tables have them
        expected.add("error");
        assertEquals(new java.util.TreeSet<>(expected), new java.util.TreeSet<>(read));
        List<String> selected = new ArrayList<>(ResultTables.SUMMARY_COLUMNS);
        selected.addAll(ResultTables.LOGIT_COLUMNS);
        assertEquals(selected, List.of(d.columns()));
        // The same accuracies as from the full rows.
        var full =
                diffpure.eval.ProtocolSummary.of(
                        spark.read().parquet(path).orderBy("sample_id").collectAsList().stream()
                                .map(SamplesTable::toOutcome)
                                .toList());
        var pruned = ResultTables.summarize(spark, path, "synthetic").summary();
        assertEquals(full.toString(), pruned.toString());
        assertEquals(40, pruned.samples());
    }

    @Test
    void progressCountsTheSamplesOfTasksStillRunning() {
        // Two tasks of 3 samples; each holds its rows in the write until both are there, then 3 s
        // more: several heartbeats and progress lines while neither task has finished.
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        EvaluationJob.Outcome o =
                EvaluationJob.run(
                        spark,
                        TinyRuns.config(
                                tmp.resolve("progress"),
                                "run.output="
                                        + FaultyFs.path("hold-2-tasks", tmp.resolve("progress")),
                                "run.chunk-samples=6",
                                "run.partition-samples=3"),
                        new EvaluationJob.Options(
                                "test",
                                -1,
                                1,
                                new java.io.PrintStream(
                                        log, true, java.nio.charset.StandardCharsets.UTF_8)));
        assertTrue(o.complete());
        String text = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        // Finished tasks alone count at most 3 x (2 - running) samples.
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile(
                                "progress: (\\d+)/6 samples.*, (\\d+) tasks running")
                        .matcher(text);
        boolean running = false;
        while (m.find()) {
            running |= Integer.parseInt(m.group(1)) > 3 * (2 - Integer.parseInt(m.group(2)));
        }
        assertTrue(running, "no progress line counting a running task's samples:\n" + text);
        assertTrue(text.contains("busy executors"), text);
    }

    @Test
    void aRetriedTaskGivesTheSameRows() {
        // The first attempt of partition 1 (only chunk 0 has one) cannot write its rows.
        ConfigLoader.Loaded cfg =
                TinyRuns.config(
                        tmp.resolve("retry"),
                        "run.output="
                                + FaultyFs.path(
                                        "fail-partition-1-attempt-0", tmp.resolve("retry")));
        EvaluationJob.Outcome o = EvaluationJob.run(spark, cfg, TinyRuns.options());
        assertEquals(1, o.failedTasks());
        assertEquals(1, o.retriedTasks());
        Dataset<Row> d = rows(o.samplesPath(), o.runId());
        // Partition 1 (only chunk 0 has one) failed once and was retried; the others ran once.
        assertEquals(2, d.where("partition = 1").count());
        assertEquals(2, d.where("partition = 1 AND task_attempt = 1").count());
        assertEquals(4, d.where("task_attempt = 0").count());
        assertSameAsBaseline(d);
    }

    /** A real accumulator that also keeps each amount added to it, in order. */
    private static final class Adds extends org.apache.spark.util.LongAccumulator {
        final List<Long> amounts = java.util.Collections.synchronizedList(new ArrayList<>());

        @Override
        public void add(long v) {
            amounts.add(v);
            super.add(v);
        }
    }

    @Test
    void aTaskCountsItsSamplesPerBatch() {
        // The progress line moves per batch because the task adds to its counter after each batch
        // (the heartbeat path to the driver: progressCountsTheSamplesOfTasksStillRunning).
        ExperimentConfig c =
                TinyRuns.config(
                                tmp.resolve("per-batch"),
                                "run.partition-samples=3",
                                "run.batch-samples=1",
                                "report.gallery-samples=0")
                        .config();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        RunPlan plan = RunPlan.of(c, diffpure.data.Datasets.open(c.data(), conf));
        Adds done = new Adds();
        EvalTask task =
                new EvalTask(
                        diffpure.jobs.run.TaskSpec.Manifests.read(c, conf).settings(c),
                        new diffpure.jobs.store.Provenance(
                                c.runId(), "test", c.configHash(), "", "", "", "", "", ""),
                        done,
                        null,
                        SanityTask.Result.NONE,
                        java.util.Set.of());
        List<Row> rows = new ArrayList<>();
        task.call(List.of(plan.chunks().get(0).get(0)).iterator()).forEachRemaining(rows::add);
        assertEquals(3, rows.size());
        assertEquals(List.of(1L, 1L, 1L), done.amounts);
    }

    @Test
    void aResumedRunEqualsAnUninterruptedOne() throws IOException {
        Path out = tmp.resolve("resume");
        ConfigLoader.Loaded cfg = TinyRuns.config(out);
        // `diffpure evaluate --max-chunks 1` commits chunk 0 of 2 and says how to go on.
        List<String> args = new ArrayList<>(List.of("--max-chunks", "1"));
        for (String s : TinyRuns.settings(out)) {
            args.addAll(List.of("--set", s));
        }
        EvaluateCommand command = new EvaluateCommand();
        new CommandLine(command).parseArgs(args.toArray(String[]::new));
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        assertEquals(
                0,
                command.evaluate(
                        spark,
                        new java.io.PrintStream(
                                log, true, java.nio.charset.StandardCharsets.UTF_8)));
        String text = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        String runId = cfg.config().runId();
        assertTrue(
                text.contains(
                        "run "
                                + runId
                                + ": stopped after --max-chunks 1; 1 chunks left: run the same"
                                + " command again to resume"),
                text);
        String samples = diffpure.jobs.store.TablePaths.samples(cfg.config().run().output());
        String runs = diffpure.jobs.store.TablePaths.runs(cfg.config().run().output());
        assertEquals(4, rows(samples, runId).count());
        assertEquals("incomplete", spark.read().parquet(runs).first().getAs("status"));
        // A crash after writing chunk 0 but before marking it: the rerun must overwrite, not
        // append.
        Files.delete(out.resolve("_progress").resolve(runId).resolve("chunk-00000.done"));
        EvaluationJob.Outcome second = EvaluationJob.run(spark, cfg, TinyRuns.options());
        assertTrue(second.complete());
        assertEquals(2, second.chunksRun());
        assertEquals(0, second.chunksSkipped());
        assertSameAsBaseline(rows(second.samplesPath(), second.runId()));
        // Once complete, a rerun computes nothing.
        EvaluationJob.Outcome third = EvaluationJob.run(spark, cfg, TinyRuns.options());
        assertEquals(0, third.chunksRun());
        assertEquals(2, third.chunksSkipped());
        assertSameAsBaseline(rows(third.samplesPath(), third.runId()));
        Row run = spark.read().parquet(third.runsPath()).first();
        assertEquals("done", run.getAs("status"));
        assertEquals(1, spark.read().parquet(third.runsPath()).count());
    }

    @Test
    void resumingWithAnotherConfigOrModelIsRefused() throws IOException {
        Path out = tmp.resolve("refuse");
        Path models = Files.createDirectories(tmp.resolve("models"));
        for (String f : List.of("eps.pt", "eps.json", "classifier.pt", "classifier.json")) {
            Files.copy(TinyRuns.ROOT.resolve("models/demo").resolve(f), models.resolve(f));
        }
        String[] local = {
            "run.id=fixed",
            "model.score-model=" + models.resolve("eps.pt"),
            "model.classifier=" + models.resolve("classifier.pt")
        };
        EvaluationJob.run(spark, TinyRuns.config(out, local), TinyRuns.options(0));
        String[] changed = Arrays.copyOf(local, local.length + 1);
        changed[local.length] = "attack.eps=4/255";
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                EvaluationJob.run(
                                        spark, TinyRuns.config(out, changed), TinyRuns.options()));
        assertTrue(
                e.getMessage().contains("run fixed was started with config hash"), e.getMessage());
        Path manifest = models.resolve("classifier.json");
        String json = Files.readString(manifest);
        Files.writeString(
                manifest, json.replaceFirst("\"sha256\": \"[0-9a-f]{4}", "\"sha256\": \"0000"));
        e =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                EvaluationJob.run(
                                        spark, TinyRuns.config(out, local), TinyRuns.options()));
        assertTrue(e.getMessage().contains("classifier sha256"), e.getMessage());
    }

    @Test
    void aBadSampleBecomesAnErrorRow() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bad-data"));
        byte[] images;
        byte[] labels;
        try (var in =
                new GZIPInputStream(
                        Files.newInputStream(
                                TinyRuns.ROOT.resolve(
                                        "models/demo/data/t10k-images-idx3-ubyte.gz")))) {
            images = Arrays.copyOf(in.readNBytes(16 + 4 * 784), 16 + 4 * 784);
        }
        try (var in =
                new GZIPInputStream(
                        Files.newInputStream(
                                TinyRuns.ROOT.resolve(
                                        "models/demo/data/t10k-labels-idx1-ubyte.gz")))) {
            labels = in.readNBytes(8 + 4);
        }
        images[6] = 0; // 4 images (big-endian count at bytes 4..7)
        images[7] = 4;
        labels[6] = 0;
        labels[7] = 4;
        labels[8 + 2] = (byte) 200; // sample 2 has a label outside [0, 10)
        Files.write(dir.resolve("images.idx"), images);
        Files.write(dir.resolve("labels.idx"), labels);
        String[] data = {
            "data.images=" + dir.resolve("images.idx"),
            "data.labels=" + dir.resolve("labels.idx"),
            "data.count=0",
            "attack.iterations=1"
        };
        String[] tolerant = Arrays.copyOf(data, data.length + 1);
        tolerant[data.length] = "run.on-error=continue";
        EvaluationJob.Outcome o =
                EvaluationJob.run(
                        spark, TinyRuns.config(tmp.resolve("bad"), tolerant), TinyRuns.options());
        List<Row> rows = rows(o.samplesPath(), o.runId()).orderBy("sample_id").collectAsList();
        assertEquals(4, rows.size());
        for (Row r : rows) {
            if (r.<Long>getAs("sample_id") == 2) {
                assertTrue(
                        r.<String>getAs("error").contains("sample 2 has label 200"), r.toString());
                assertTrue(r.<String>getAs("error").contains("labels.idx"), r.toString());
                assertEquals(SamplesTable.DATA, r.getAs("error_kind"));
                assertNull(r.getAs("clean_votes"));
            } else {
                assertNull(r.getAs("error"));
                assertNull(r.getAs("error_kind"));
                assertNotNull(r.getAs("clean_votes"));
            }
        }
        RuntimeException e =
                assertThrows(
                        RuntimeException.class,
                        () ->
                                EvaluationJob.run(
                                        spark,
                                        TinyRuns.config(tmp.resolve("bad-fast"), data),
                                        TinyRuns.options()));
        assertTrue(e.getMessage().contains("sample 2 has label 200"), e.getMessage());
    }

    @Test
    void aComputeFailureIsRetriedThenRecordedAndRecomputedByAResume() throws IOException {
        // A classifier that fails on the first sample's image (and its purified, attacked copies).
        List<Row> planned = baselineRows.orderBy("sample_id").collectAsList();
        IdxDataset data =
                IdxDataset.read(
                        TinyRuns.ROOT.resolve("models/demo/data/t10k-images-idx3-ubyte.gz"),
                        TinyRuns.ROOT.resolve("models/demo/data/t10k-labels-idx1-ubyte.gz"),
                        10);
        List<float[]> images = new ArrayList<>();
        for (Row r : planned) {
            images.add(data.get(r.<Integer>getAs("sample_index")).image());
        }
        String failing =
                "model.classifier="
                        + FailingClassifier.write(tmp.resolve("failing-classifier"), images, 0);
        ConfigLoader.Loaded c =
                TinyRuns.config(tmp.resolve("compute"), "run.on-error=continue", failing);
        EvaluationJob.Outcome o = EvaluationJob.run(spark, c, TinyRuns.options());
        // The batch of the failing sample (2 samples) failed on attempt 0, was retried by Spark,
        // and on the last allowed attempt (local[2,2]: attempt 1) became compute-error rows.
        List<Row> errors =
                rows(o.samplesPath(), o.runId()).where("error IS NOT NULL").collectAsList();
        assertEquals(2, errors.size(), errors.toString());
        for (Row r : errors) {
            assertEquals(SamplesTable.COMPUTE, r.getAs("error_kind"));
            assertEquals(1, r.<Integer>getAs("task_attempt"));
            assertTrue(r.<String>getAs("error").contains(FailingClassifier.MESSAGE), r.toString());
            assertNull(r.getAs("clean_votes"));
        }
        assertEquals(4, rows(o.samplesPath(), o.runId()).where("error IS NULL").count());
        assertFalse(o.complete(), "a chunk with compute errors is not done");
        ResultTables.RunSummary s = ResultTables.summarize(spark, o.samplesPath(), o.runId());
        assertEquals(2, s.errors());
        assertEquals(2, s.computeErrors());
        assertEquals(6, s.planned());
        double[] b = s.bounds(s.summary().majority());
        double robust = s.summary().majority().estimate() * 4;
        assertEquals(robust / 6, b[0], 1e-12);
        assertEquals((robust + 2) / 6, b[1], 1e-12);
        // A resume recomputes exactly the chunk with compute errors.
        EvaluationJob.Outcome again = EvaluationJob.run(spark, c, TinyRuns.options());
        assertEquals(1, again.chunksRun());
        assertEquals(1, again.chunksSkipped());
        assertEquals(6, rows(again.samplesPath(), again.runId()).count(), "no duplicates");
        // Fail-fast: the first compute failure stops the run.
        // (Spark rethrows the task's failure as a SparkException, a checked exception.)
        Exception e =
                assertThrows(
                        Exception.class,
                        () ->
                                EvaluationJob.run(
                                        spark,
                                        TinyRuns.config(tmp.resolve("compute-fast"), failing),
                                        TinyRuns.options()));
        assertTrue(
                String.valueOf(e.getMessage()).contains(FailingClassifier.MESSAGE)
                        || String.valueOf(e.getCause()).contains(FailingClassifier.MESSAGE),
                e.toString());
    }

    @Test
    void theGradientMaskingChecksRunOnceAndAreRecordedInBothTables() {
        ConfigLoader.Loaded c =
                TinyRuns.config(
                        tmp.resolve("sanity"), "sanity.subset=2", "sanity.square-queries=10");
        EvaluationJob.Outcome o = EvaluationJob.run(spark, c, TinyRuns.options());
        Row run =
                spark.read()
                        .parquet(o.runsPath())
                        .where(functions.col("run_id").equalTo(o.runId()))
                        .first();
        String json = run.getAs("sanity");
        assertTrue(
                json.startsWith("{\"subset\": 2, \"checks\": [{\"name\": \"zero-gradients\""),
                json);
        for (String check : List.of("more-iterations", "larger-eps", "unbounded", "square")) {
            assertTrue(json.contains("\"name\": \"" + check + "\""), json);
        }
        List<Row> subset = rows(o.samplesPath(), o.runId()).where("sanity_subset").collectAsList();
        assertEquals(2, subset.size());
        assertEquals(4, rows(o.samplesPath(), o.runId()).where("NOT sanity_subset").count());
        // The checks use their own draws: the rows equal a run without them, but for the flag and
        // the checks' warnings.
        Dataset<Row> plain =
                deterministic(rows(o.samplesPath(), o.runId()))
                        .drop("sanity_subset", "warnings", "config_hash");
        Dataset<Row> base =
                deterministic(baselineRows).drop("sanity_subset", "warnings", "config_hash");
        assertEquals(0, plain.exceptAll(base).count());
    }

    @Test
    void aDryRunCountsTheBudgetAndTimesIt() {
        DryRun.Estimate e = DryRun.measure(baseline.config(), new Configuration());
        assertEquals(6, e.samples());
        assertEquals(2 * 2, e.gradientRows(), "PGD-EOT: iterations x EOT");
        assertEquals(
                2 + 2 * 3 + (4 + 2),
                e.forwardRows(),
                "PGD's last iterate (EOT) + 2K votes + the matching clean evaluations");
        assertTrue(e.secondsPerGradientRow() > e.secondsPerForwardRow(), e.toString());
        assertTrue(e.secondsPerForwardRow() > 0, e.toString());
        assertEquals(e.samples() * e.secondsPerSample(), e.totalSeconds(), 1e-9);
    }

    @Test
    void oneRowReplaysInProcess() {
        Row row = baselineRows.orderBy(functions.col("sample_id").desc()).first();
        SampleOutcome o = Replay.sample(baseline.config(), row, new Configuration());
        SampleOutcome stored = SamplesTable.toOutcome(row);
        assertArrayEquals(stored.votes().clean(), o.votes().clean());
        assertArrayEquals(stored.votes().adversarial(), o.votes().adversarial());
        assertArrayEquals(
                stored.attack().perturbation().delta(), o.attack().perturbation().delta());
        assertEquals(stored.attack().perturbation().linf(), o.attack().perturbation().linf());
        ExperimentConfig other = TinyRuns.config(tmp.resolve("x"), "eval.votes=4").config();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Replay.sample(other, row, new Configuration()));
        assertTrue(e.getMessage().contains("config hash"), e.getMessage());
    }
}
