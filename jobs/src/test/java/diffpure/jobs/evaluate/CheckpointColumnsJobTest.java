package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.eval.BudgetCurve;
import diffpure.eval.CheckpointOutcome;
import diffpure.eval.ProtocolSummary;
import diffpure.eval.SampleOutcome;
import diffpure.eval.StepRowCost;
import diffpure.jobs.store.ResultTables;
import diffpure.jobs.store.SamplesTable;
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
 * Budget checkpoints through the evaluation job (samples column {@code budget_checkpoints}, schema
 * 3): the checkpoint at the attack's last iteration is the run's own final verdict, the best
 * iterate so far never gets worse, and turning checkpoints on changes no other column. Demo models,
 * tiny budgets (TinyRuns: PGD-EOT 2 iterations x EOT 2, 3 votes).
 */
class CheckpointColumnsJobTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static Dataset<Row> off;
    private static Dataset<Row> on;
    private static Dataset<Row> judged;

    /** Surrogate gradients (2 of the 5 steps), iterates judged on the surrogate copies. */
    private static final String[] JUDGED = {
        "attack.gradient-mode=surrogate",
        "attack.surrogate-steps=2",
        "attack.surrogate-evaluation=checkpoints",
        "attack.budget-checkpoints=[0, 1, 2]"
    };

    private static Dataset<Row> run(String name, String... sets) {
        EvaluationJob.Outcome o =
                EvaluationJob.run(
                        spark, TinyRuns.config(tmp.resolve(name), sets), TinyRuns.options());
        assertTrue(o.complete());
        return spark.read()
                .parquet(o.samplesPath())
                .where(functions.col("run_id").equalTo(o.runId()))
                .orderBy("sample_index")
                .cache();
    }

    @BeforeAll
    static void runBoth() {
        spark = TinyRuns.session("CheckpointColumnsJobTest");
        off = run("off", "data.count=4");
        on = run("on", "data.count=4", "attack.budget-checkpoints=[0, 1, 2]");
        List<String> j = new ArrayList<>(List.of(JUDGED));
        j.add("data.count=4");
        judged = run("judged", j.toArray(new String[0]));
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void theLastCheckpointIsTheFinalVerdictAndTheBestNeverGetsWorse() {
        List<Row> rows = on.collectAsList();
        assertEquals(4, rows.size());
        for (Row r : rows) {
            assertEquals(SamplesTable.SCHEMA_VERSION, r.<Integer>getAs("schema_version"));
            List<Row> cps = r.getList(r.fieldIndex("budget_checkpoints"));
            assertEquals(
                    List.of(0, 1, 2),
                    cps.stream().map(c -> c.<Integer>getAs("iteration")).toList());
            for (Row c : cps) {
                assertEquals(2L, c.<Long>getAs("of_iterations"));
                assertEquals(3, c.getList(c.fieldIndex("votes")).size());
            }
            // Iteration 2 of PGD with 2 iterations is the returned image: the final columns.
            Row last = cps.get(2);
            assertEquals(
                    r.getList(r.fieldIndex("adversarial_votes")),
                    last.getList(last.fieldIndex("votes")));
            assertEquals(r.<Integer>getAs("adversarial_correct"), last.<Integer>getAs("correct"));
            assertEquals(
                    r.<Long>getAs("gradient_evaluations"),
                    last.<Long>getAs("gradient_evaluations"));
            assertEquals(
                    r.<Long>getAs("forward_evaluations"), last.<Long>getAs("forward_evaluations"));
            assertEquals(
                    r.<Long>getAs("during_attack_evaluations"),
                    last.<Long>getAs("during_attack_evaluations"));
            assertEquals(
                    r.<Long>getAs("during_attack_fooled"),
                    last.<Long>getAs("during_attack_fooled"));
            // PGD keeps the best iterate so far: its miss never grows, spending never shrinks,
            // and a sample once fooled during the attack stays fooled.
            for (int k = 1; k < cps.size(); k++) {
                Row a = cps.get(k - 1);
                Row b = cps.get(k);
                assertTrue(b.<Double>getAs("miss") <= a.<Double>getAs("miss"), "miss " + k);
                for (String n :
                        List.of(
                                "gradient_evaluations",
                                "forward_evaluations",
                                "during_attack_evaluations",
                                "during_attack_fooled")) {
                    assertTrue(b.<Long>getAs(n) >= a.<Long>getAs(n), n + " at " + k);
                }
            }
            // Each iterate before the last is evaluated with its gradient (EOT 2 copies).
            assertEquals(2L, cps.get(0).<Long>getAs("gradient_evaluations"));
            assertEquals(4L, cps.get(1).<Long>getAs("gradient_evaluations"));
        }
        // Read back through the protocol record: the curve's last point is the run's summary.
        List<SampleOutcome> outcomes = rows.stream().map(SamplesTable::toOutcome).toList();
        for (SampleOutcome o : outcomes) {
            List<CheckpointOutcome> c = o.attack().checkpoints();
            assertEquals(3, c.size());
            assertEquals("iteration 1 of a run of 2", c.get(1).label());
        }
        BudgetCurve curve = BudgetCurve.of(outcomes, StepRowCost.ofDefence(5));
        ProtocolSummary s = ProtocolSummary.of(outcomes);
        BudgetCurve.Point last = curve.points().get(2);
        assertEquals(s.single(), last.single());
        assertEquals(s.majority(), last.majority());
        assertEquals(s.worst(), last.worst());
        assertEquals(s.any(), last.any());
        assertEquals(s.duringAttack(), last.duringAttack());
    }

    @Test
    void theDryRunCountsTheCheckpointVotesAndSaysWhatSurrogateGradientsCost() {
        var plain = TinyRuns.config(tmp.resolve("dry"));
        var checked = TinyRuns.config(tmp.resolve("dry"), "attack.budget-checkpoints=[0, 1, 2]");
        DryRun.Estimate a = DryRun.measure(plain.config(), new Configuration());
        DryRun.Estimate b = DryRun.measure(checked.config(), new Configuration());
        assertEquals(3 * 3, b.forwardRows() - a.forwardRows(), "K = 3 votes at 3 checkpoints");
        assertEquals(a.gradientRows(), b.gradientRows());
        assertEquals(List.of(), BudgetLines.of(plain.config()));
        assertEquals(
                List.of(
                        "  budget checkpoints [0, 1, 2]: + 9 forward rows per sample (K = 3 votes"
                                + " at each of 3; in the forward rows above), each figure"
                                + " 'iteration b of a run of 2'"),
                BudgetLines.of(checked.config()));
        // t* 0.01 at dt 0.002: a 5-step chain.
        assertEquals(
                List.of(
                        "  surrogate gradients (summed noise): a gradient row costs N_s (F + V) +"
                                + " N_d F = 2 x (F + V) + 5 x F, a defence evaluation N_d F = 5 x F"
                                + " (F a score-model forward, V its vector-Jacobian product; the"
                                + " seconds above were measured in this mode)"),
                BudgetLines.of(
                        TinyRuns.config(
                                        tmp.resolve("dry"),
                                        "attack.gradient-mode=surrogate",
                                        "attack.surrogate-steps=2")
                                .config()));
        assertEquals(
                List.of(
                        "  surrogate gradients: N_s = N_d = 5, the defence chain itself: a"
                                + " gradient row costs 5 x (F + V), as exact"),
                BudgetLines.of(
                        TinyRuns.config(
                                        tmp.resolve("dry"),
                                        "attack.gradient-mode=surrogate",
                                        "attack.surrogate-steps=5")
                                .config()));
    }

    @Test
    void judgedOnTheSurrogateTheDuringAttackColumnsAreNullAndTheVotesTheDefences() {
        List<Row> rows = judged.collectAsList();
        assertEquals(4, rows.size());
        for (Row r : rows) {
            for (String n :
                    List.of(
                            "during_attack_evaluations",
                            "during_attack_fooled",
                            "clean_during_evaluations",
                            "clean_during_fooled")) {
                assertTrue(r.isNullAt(r.fieldIndex(n)), n);
            }
            assertTrue(r.isNullAt(r.fieldIndex("broken_by")));
            assertEquals(-1, r.<Integer>getAs("first_success_iteration"));
            // 2K votes and no clean during-attack evaluations (PGD 2 x EOT 2 + its last iterate's
            // 2 copies would have been 6 more)
            assertEquals(6L, r.<Long>getAs("vote_evaluations"));
            assertEquals(4L, r.<Long>getAs("gradient_evaluations"));
            assertEquals(2L, r.<Long>getAs("forward_evaluations"));
            List<Row> cps = r.getList(r.fieldIndex("budget_checkpoints"));
            Row last = cps.get(2);
            assertEquals(
                    r.getList(r.fieldIndex("adversarial_votes")),
                    last.getList(last.fieldIndex("votes")));
            for (Row c : cps) {
                assertTrue(c.isNullAt(c.fieldIndex("during_attack_evaluations")));
                assertTrue(c.isNullAt(c.fieldIndex("during_attack_fooled")));
            }
        }
        List<SampleOutcome> outcomes = rows.stream().map(SamplesTable::toOutcome).toList();
        for (SampleOutcome o : outcomes) {
            assertFalse(o.attack().duringAttack().recorded());
            assertFalse(o.attack().checkpoints().get(0).duringAttackRecorded());
        }
        ProtocolSummary s = ProtocolSummary.of(outcomes);
        assertEquals(null, s.duringAttack());
        // N_s = 2 of N_d = 5: the attack's rows go through the surrogate, the votes the defence
        for (Row r : rows) {
            assertEquals(new StepRowCost(2, 2, 5), ResultTables.stepRowCost(r));
        }
        BudgetCurve.Point last =
                BudgetCurve.of(outcomes, ResultTables.stepRowCost(rows.get(0))).points().get(2);
        assertEquals(4 * 2 + 2 * 2, last.stepRows(), 1e-9);
        assertEquals(s.majority(), last.majority());
        assertEquals(null, last.duringAttack());
        // the dry run: no clean during-attack rows (PGD's 4 gradient + 2 forward rows), its line
        var defence = TinyRuns.config(tmp.resolve("dry"), JUDGED[0], JUDGED[1], JUDGED[3]);
        var surrogate = TinyRuns.config(tmp.resolve("dry"), JUDGED);
        assertEquals(
                6,
                DryRun.perSample(defence.config()).forward()
                        - DryRun.perSample(surrogate.config()).forward());
        assertEquals(
                List.of(
                        "  budget checkpoints [0, 1, 2]: + 9 forward rows per sample (K = 3 votes"
                                + " at each of 3; in the forward rows above), each figure"
                                + " 'iteration b of a run of 2'",
                        "  surrogate gradients (summed noise), iterates judged on the surrogate"
                                + " copies: a gradient row costs N_s (F + V) = 2 x (F + V), a"
                                + " gradient-free check of an iterate N_s F = 2 x F; the defence"
                                + " (N_d F = 5 x F per row) only votes, 6 per sample at the end"
                                + " and 9 at the budget checkpoints; no clean during-attack"
                                + " evaluations (not recorded in this mode)"),
                BudgetLines.of(surrogate.config()));
    }

    @Test
    void checkpointsChangeNoOtherColumn() {
        List<Column> cols = new ArrayList<>();
        for (String f : SamplesTable.SCHEMA.fieldNames()) {
            // The config (and so its hash) differs by the checkpoints key.
            if (!SamplesTable.NONDETERMINISTIC.contains(f)
                    && !List.of("run_id", "config_hash", "budget_checkpoints").contains(f)) {
                cols.add(functions.col(f));
            }
        }
        Dataset<Row> a = off.select(cols.toArray(new Column[0]));
        Dataset<Row> b = on.select(cols.toArray(new Column[0]));
        assertEquals(4, a.count());
        assertEquals(0, a.exceptAll(b).count(), "rows differ with checkpoints on");
        assertEquals(0, b.exceptAll(a).count(), "rows differ with checkpoints on");
        // Off stores an empty list, not a missing one: the run recorded no checkpoint.
        for (Row r : off.collectAsList()) {
            assertTrue(r.getList(r.fieldIndex("budget_checkpoints")).isEmpty());
            assertTrue(SamplesTable.toOutcome(r).attack().checkpoints().isEmpty());
        }
        assertFalse(
                on.collectAsList()
                        .get(0)
                        .getList(on.schema().fieldIndex("budget_checkpoints"))
                        .isEmpty());
    }
}
