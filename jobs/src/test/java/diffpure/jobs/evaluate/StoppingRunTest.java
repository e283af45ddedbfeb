package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigError;
import diffpure.config.ConfigLoader;
import diffpure.data.Subsets;
import diffpure.eval.IntervalKind;
import diffpure.eval.Metric;
import diffpure.eval.ProtocolSummary;
import diffpure.eval.StoppingRule;
import diffpure.jobs.run.ChunkEngine;
import diffpure.jobs.run.PartitionWork;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.store.RunsTable;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.StopSequences;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

/**
 * A run with a stopping rule on the demo models with tiny budgets: it evaluates the seeded order,
 * stops where the rule first holds on the committed prefix, records the stop in the runs table, a
 * rerun stops at the same index computing nothing, and a raised budget extends it by the new chunks
 * only, to tables equal to those of a run that went there directly.
 */
class StoppingRunTest {
    @TempDir static Path tmp;
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = TinyRuns.session("StoppingRunTest");
        // One chunk at a time: no chunk beyond the stop is running when the rule holds, so the
        // tables of the extended and the direct run hold the same chunks.
        spark.conf().set(ChunkEngine.CHUNKS_IN_FLIGHT, "1");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.conf().unset(ChunkEngine.CHUNKS_IN_FLIGHT);
            spark.stop();
        }
    }

    /** 4 samples in the seeded order, chunks of 1, one PGD iteration, one vote. */
    private static ConfigLoader.Loaded config(Path output, long budget) {
        return TinyRuns.config(
                output,
                "data.count=4",
                "data.order=seeded",
                "run.chunk-samples=1",
                "run.partition-samples=1",
                "run.batch-samples=1",
                "attack.iterations=1",
                "eval.votes=1",
                "run.budget=" + budget);
    }

    private static EvaluationJob.Outcome run(ConfigLoader.Loaded c) {
        return EvaluationJob.run(spark, c, TinyRuns.options());
    }

    private static Dataset<Row> rows(EvaluationJob.Outcome o) {
        return spark.read()
                .parquet(o.samplesPath())
                .where(functions.col("run_id").equalTo(o.runId()));
    }

    /** The columns a rerun reproduces exactly. */
    private static Dataset<Row> deterministic(Dataset<Row> d) {
        List<Column> cols = new ArrayList<>();
        for (String f : SamplesTable.SCHEMA.fieldNames()) {
            if (!SamplesTable.NONDETERMINISTIC.contains(f)) {
                cols.add(functions.col(f));
            }
        }
        return d.select(cols.toArray(new Column[0]));
    }

    private static Row runsRow(EvaluationJob.Outcome o) {
        return RunsTable.previous(spark, o.runsPath(), o.runId());
    }

    @Test
    void aStoppedRunReproducesItsStopAndExtendsToTheTablesOfADirectRun() {
        Path out = tmp.resolve("extended");
        // A budget of one step-row is spent by the first chunk.
        EvaluationJob.Outcome first = run(config(out, 1));
        assertNotNull(first.stop());
        assertEquals(1, first.stop().row().samples());
        assertEquals("budget", first.stop().row().reason());
        assertEquals(1, first.chunksRun());
        assertTrue(first.complete(), "a stopped run is done");
        assertEquals(1, rows(first).count());
        // The plan is the seeded order: chunk 0 holds the permutation's first position.
        int[] order = Subsets.inOrder(10_000, 4, 0);
        assertEquals(order[0], rows(first).first().<Integer>getAs("sample_index"));
        // The runs row records the stop; its sequences are the driver's, over the prefix.
        RunsTable.Stop recorded = RunsTable.Stop.of(runsRow(first));
        assertEquals(first.stop().row(), recorded);
        assertEquals("done", runsRow(first).getAs("status"));
        assertEquals(IntervalKind.CONFIDENCE_SEQUENCE, first.stop().summary().intervals());
        assertEquals(1, first.stop().summary().samples());
        assertEquals(
                first.stop().summary().majority(),
                StopSequences.side(recorded.sequences(), "robust").get("majority"));
        long firstRows = recorded.stepRows();
        assertTrue(firstRows > 1, "step-rows " + firstRows);

        // The same config again: the prefix already holds the rule, nothing is computed.
        EvaluationJob.Outcome again = run(config(out, 1));
        assertEquals(0, again.chunksRun());
        assertEquals(first.stop().row(), again.stop().row());

        // A budget one step-row beyond the first chunk's: the second chunk spends it.
        long budget = firstRows + 1;
        EvaluationJob.Outcome extended = run(config(out, budget));
        assertEquals(1, extended.chunksRun(), "only the new chunk");
        assertEquals(2, extended.stop().row().samples());
        assertEquals("budget", extended.stop().row().reason());
        assertEquals(first.runId(), extended.runId(), "the budget is not in the config hash");

        // A run that went there directly: the same stop and the same rows.
        EvaluationJob.Outcome direct = run(config(tmp.resolve("direct"), budget));
        assertEquals(2, direct.chunksRun());
        assertEquals(extended.stop().row(), direct.stop().row());
        assertEquals(RunsTable.Stop.of(runsRow(extended)), RunsTable.Stop.of(runsRow(direct)));
        Dataset<Row> a = deterministic(rows(extended));
        Dataset<Row> b = deterministic(rows(direct));
        assertEquals(2, a.count());
        assertEquals(0, a.exceptAll(b).count(), "rows of the extended run not in the direct one");
        assertEquals(0, b.exceptAll(a).count(), "rows of the direct run not in the extended one");

        // The decision matches the library's rule over the rows read back in plan order.
        RunPlan plan = EvaluationJob.plan(spark, config(out, budget).config());
        List<diffpure.eval.SampleOutcome> inOrder = new ArrayList<>();
        long[] stepRows = new long[2];
        java.util.Map<Integer, Row> byIndex = new java.util.HashMap<>();
        rows(extended).collectAsList().forEach(r -> byIndex.put(r.getAs("sample_index"), r));
        for (int k = 0; k < 2; k++) {
            for (PartitionWork p : plan.chunks().get(k)) {
                for (SampleRef ref : p.samples()) {
                    Row r = byIndex.get(ref.index());
                    stepRows[inOrder.size()] =
                            (r.<Long>getAs("gradient_evaluations")
                                            + r.<Long>getAs("forward_evaluations")
                                            + r.<Long>getAs("vote_evaluations"))
                                    * r.<Integer>getAs("steps");
                    inOrder.add(SamplesTable.toOutcome(r));
                }
            }
        }
        double[] values = ProtocolSummary.robust(inOrder, Metric.MAJORITY);
        StoppingRule.Stop expected =
                new StoppingRule(Metric.MAJORITY, 0, budget)
                        .firstStop(
                                new StoppingRule.Prefix(values, stepRows),
                                new StoppingRule.Plan(1, 4, 10_000))
                        .orElseThrow();
        assertEquals(expected.samples(), extended.stop().row().samples());
        assertEquals(expected.stepRows(), extended.stop().row().stepRows());
        assertEquals(expected.interval(), extended.stop().summary().majority());

        // A budget no prefix spends: every planned sample, then data-exhausted.
        EvaluationJob.Outcome all = run(config(out, Long.MAX_VALUE / 4));
        assertEquals(2, all.chunksRun());
        assertEquals(4, all.stop().row().samples());
        assertEquals("data-exhausted", all.stop().row().reason());
        assertEquals(4, rows(all).count());
    }

    @Test
    void withoutARuleTheRunsRowHasNoStop() {
        EvaluationJob.Outcome o =
                run(
                        TinyRuns.config(
                                tmp.resolve("plain"),
                                "data.count=1",
                                "attack.iterations=1",
                                "eval.votes=1"));
        assertNull(o.stop());
        assertNull(RunsTable.Stop.of(runsRow(o)));
    }

    @Test
    void whatAStoppingRunCannotDoIsRefusedByName() {
        ConfigError e =
                assertThrows(
                        ConfigError.class,
                        () -> TinyRuns.config(tmp.resolve("sorted"), "run.budget=5"));
        assertTrue(e.getMessage().startsWith("data.order must be seeded when"), e.getMessage());
        ConfigLoader.Loaded sweep =
                TinyRuns.config(
                        tmp.resolve("sweep"),
                        "data.order=seeded",
                        "eval.target-half-width=0.1",
                        "sweep.eps=[0.01, 0.02]");
        IllegalArgumentException s =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> EvaluationJob.run(spark, sweep, EvaluationJob.Options.defaults("t")));
        assertTrue(s.getMessage().contains("cannot run a sweep"), s.getMessage());
        ConfigLoader.Loaded cont =
                TinyRuns.config(
                        tmp.resolve("continue"),
                        "data.order=seeded",
                        "run.budget=5",
                        "run.on-error=continue");
        IllegalArgumentException c =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> EvaluationJob.run(spark, cont, EvaluationJob.Options.defaults("t")));
        assertTrue(c.getMessage().contains("run.on-error = fail-fast"), c.getMessage());
        // The data set behind the fixtures: Fashion-MNIST's test set.
        assertEquals(
                10_000,
                diffpure.data.Datasets.open(
                                TinyRuns.config(tmp.resolve("size")).config().data(),
                                new Configuration())
                        .size());
    }
}
