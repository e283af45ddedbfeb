package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import diffpure.config.ConfigLoader;
import diffpure.data.IdxDataset;
import diffpure.data.Sample;
import diffpure.eval.SampleOutcome;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.store.ResultTables;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.torch.TorchThreads;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adjoint gradients report their error where they are used: rows attacked with gradient mode
 * adjoint carry the reconstruction error of y_0 the adjoint computed, the sanity subset's rows the
 * cosine against exact gradients for the same draw, and the runs table and the printed summary
 * their extremes; rows of an exact run carry none. Demo models, tiny budgets (TinyRuns).
 */
class AdjointColumnsJobTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static Ran adjoint;
    private static Ran exact;

    private record Ran(
            ConfigLoader.Loaded config,
            EvaluationJob.Outcome outcome,
            List<Row> rows,
            Row runs,
            String printed) {}

    private static Ran run(String name, String mode) {
        ConfigLoader.Loaded c =
                TinyRuns.config(
                        tmp.resolve(name),
                        "attack.gradient-mode=" + mode,
                        "data.count=4",
                        "sanity.subset=2",
                        "sanity.square-queries=4");
        EvaluationJob.Outcome o = EvaluationJob.run(spark, c, TinyRuns.options());
        assertTrue(o.complete());
        List<Row> rows =
                spark.read()
                        .parquet(o.samplesPath())
                        .where(functions.col("run_id").equalTo(o.runId()))
                        .orderBy("sample_index")
                        .collectAsList();
        Row runs =
                spark.read()
                        .parquet(o.runsPath())
                        .where(functions.col("run_id").equalTo(o.runId()))
                        .first();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ResultTables.print(
                ResultTables.summarize(spark, o.samplesPath(), o.runId()),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        return new Ran(c, o, rows, runs, out.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void runBoth() {
        spark = TinyRuns.session("AdjointColumnsJobTest");
        adjoint = run("adjoint", "adjoint");
        exact = run("exact", "exact");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void adjointRowsCarryTheirReconstructionErrorAndTheSubsetItsCosine() {
        double recMax = Double.NEGATIVE_INFINITY;
        double cosMin = Double.POSITIVE_INFINITY;
        int withCosine = 0;
        StringBuilder measured = new StringBuilder();
        for (Row r : adjoint.rows()) {
            assertEquals("adjoint", r.getAs("gradient_mode"));
            Double rec = r.getAs("adjoint_reconstruction_error");
            assertNotNull(rec, r.toString());
            // Finite and small on the demo models at t* = 0.01 (5 steps): 0.06-0.10 measured
            // (2026-12-02); at t* = 0.1 it reaches 1.1 (BENCHMARKS, "Adjoint error").
            assertTrue(Double.isFinite(rec) && rec > 0 && rec < 0.2, "reconstruction error " + rec);
            recMax = Math.max(recMax, rec);
            Double cos = r.getAs("adjoint_cosine");
            boolean inSubset = r.getAs("sanity_subset");
            assertEquals(inSubset, cos != null, r.toString());
            if (cos != null) {
                assertTrue(cos > 0.5 && cos <= 1 + 1e-9, "cosine " + cos);
                cosMin = Math.min(cosMin, cos);
                withCosine++;
            }
            measured.append(
                    String.format(
                            java.util.Locale.ROOT,
                            "sample %d: reconstruction error %.3g, cosine %s%n",
                            r.<Long>getAs("sample_id"),
                            rec,
                            cos == null ? "-" : String.format(java.util.Locale.ROOT, "%.5f", cos)));
        }
        System.out.print("adjoint columns on the demo models:\n" + measured);
        assertEquals(2, withCosine);
        // The runs table summarises the rows.
        assertEquals(recMax, adjoint.runs().<Double>getAs("adjoint_reconstruction_error_max"));
        assertEquals(cosMin, adjoint.runs().<Double>getAs("adjoint_cosine_min"));
        // ... and so does the printed summary.
        assertTrue(
                adjoint.printed()
                        .contains(
                                String.format(
                                        java.util.Locale.ROOT,
                                        "adjoint gradients (not exact): largest reconstruction"
                                                + " error of y_0 %.3g; smallest cosine to the exact"
                                                + " gradient on the sanity subset %.4f",
                                        recMax,
                                        cosMin)),
                adjoint.printed());
        // The sanity JSON keeps the per-sample figures a resume gives back to the rows.
        SanityTask.Result back =
                SanityTask.Result.parse(
                        adjoint.runs().getAs("sanity"),
                        EvaluationJob.plan(spark, adjoint.config().config()).firstValid(2));
        for (Row r : adjoint.rows()) {
            assertEquals(
                    r.<Double>getAs("adjoint_cosine"),
                    back.adjointCosine().get(r.<Long>getAs("sample_id")));
        }
    }

    @Test
    void theReconstructionErrorIsTheOneTheAdjointComputedInProcess() {
        // The first planned batch through BatchRunner.evaluate, without Spark: same values.
        TorchThreads.ensure(1);
        var c = adjoint.config().config();
        List<Row> batch = adjoint.rows().subList(0, 2);
        IdxDataset data =
                IdxDataset.read(
                        TinyRuns.ROOT.resolve("models/demo/data/t10k-images-idx3-ubyte.gz"),
                        TinyRuns.ROOT.resolve("models/demo/data/t10k-labels-idx1-ubyte.gz"),
                        10);
        List<Sample> samples = new ArrayList<>();
        for (Row r : batch) {
            samples.add(data.get(r.<Integer>getAs("sample_index")));
        }
        try (PtScoreModel eps =
                        PtScoreModel.load(
                                TinyRuns.ROOT.resolve("models/demo/eps.pt"), Device.cpu());
                PtClassifier clf =
                        PtClassifier.load(
                                TinyRuns.ROOT.resolve("models/demo/classifier.pt"), Device.cpu())) {
            ExecutorContext ctx = new ExecutorContext(Device.cpu(), 1, eps, clf, data);
            List<SampleOutcome> out = new BatchRunner(ctx.spec(c), ctx).evaluate(samples);
            for (int i = 0; i < 2; i++) {
                double rec = out.get(i).diagnostics().adjointReconstructionError();
                assertTrue(Double.isFinite(rec));
                assertEquals(
                        rec,
                        batch.get(i).<Double>getAs("adjoint_reconstruction_error"),
                        1e-6 * Math.max(rec, 1e-12));
            }
        }
    }

    @Test
    void exactRowsAndRunsLeaveTheAdjointColumnsNull() {
        for (Row r : exact.rows()) {
            assertEquals("exact", r.getAs("gradient_mode"));
            assertNull(r.getAs("adjoint_reconstruction_error"));
            assertNull(r.getAs("adjoint_cosine"));
        }
        assertTrue(exact.rows().stream().anyMatch(r -> r.<Boolean>getAs("sanity_subset")));
        assertNull(exact.runs().getAs("adjoint_reconstruction_error_max"));
        assertNull(exact.runs().getAs("adjoint_cosine_min"));
        assertFalse(exact.runs().<String>getAs("sanity").contains("\"adjoint\""));
        assertFalse(exact.printed().contains("adjoint"), exact.printed());
    }
}
