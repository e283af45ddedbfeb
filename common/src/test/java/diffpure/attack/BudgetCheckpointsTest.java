package diffpure.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.eval.CheckpointOutcome;
import diffpure.eval.RobustnessEvaluator;
import diffpure.eval.SampleOutcome;
import diffpure.gradient.UndefendedModel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Budget checkpoints on a randomized defence (a flipping linear classifier, EOT 4): recording them
 * changes no other result, the last one's votes are the final votes, and each holds the best
 * iterate so far with the counts spent by then.
 */
class BudgetCheckpointsTest {
    private static final int EOT = 4;
    private static final int VOTES = 5;
    private static NDManager manager;
    private static FlippingModel model;
    private static NDArray x;
    private static NDArray y;
    private static long[] ids;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        UndefendedModel linear = Fixtures.linear(manager, 10);
        x = Fixtures.images(manager, 12, new Shape(1, 8, 8), 5);
        y = Fixtures.predictedLabels(linear.classifier(), x);
        ids = Fixtures.ids(12);
        long[] lab = y.toLongArray();
        Map<Long, Long> labels = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            labels.put(ids[i], lab[i]);
        }
        model = new FlippingModel(linear, 0.1, EOT, 21, labels);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static List<SampleOutcome> evaluate(Attack a, BudgetCheckpoints c) {
        return new RobustnessEvaluator(model, a, VOTES, 9, 0, 16, 1.0, c).evaluate(x, y, ids);
    }

    private static void assertSameExceptCheckpoints(SampleOutcome a, SampleOutcome b) {
        assertEquals(a.sampleId(), b.sampleId());
        assertArrayEquals(a.votes().clean(), b.votes().clean());
        assertArrayEquals(a.votes().adversarial(), b.votes().adversarial());
        assertEquals(a.votes().cleanLogitPrediction(), b.votes().cleanLogitPrediction());
        assertEquals(
                a.votes().adversarialLogitPrediction(), b.votes().adversarialLogitPrediction());
        assertEquals(
                a.attack().duringAttack().evaluations(), b.attack().duringAttack().evaluations());
        assertEquals(a.attack().duringAttack().fooled(), b.attack().duringAttack().fooled());
        assertEquals(
                a.attack().duringAttack().cleanEvaluations(),
                b.attack().duringAttack().cleanEvaluations());
        assertEquals(
                a.attack().duringAttack().cleanFooled(), b.attack().duringAttack().cleanFooled());
        assertEquals(a.attack().perturbation().linf(), b.attack().perturbation().linf());
        assertEquals(a.attack().perturbation().l2(), b.attack().perturbation().l2());
        assertArrayEquals(a.attack().perturbation().delta(), b.attack().perturbation().delta());
        assertEquals(a.attack().firstSuccessIteration(), b.attack().firstSuccessIteration());
        assertEquals(a.attack().brokenBy(), b.attack().brokenBy());
        assertEquals(a.cost().gradients(), b.cost().gradients());
        assertEquals(a.cost().forwards(), b.cost().forwards());
        assertEquals(a.cost().voteEvaluations(), b.cost().voteEvaluations());
        assertEquals(a.diagnostics().warnings(), b.diagnostics().warnings());
    }

    private static void checkOnAndOff(Attack a, List<Integer> at) {
        List<SampleOutcome> off = evaluate(a, BudgetCheckpoints.NONE);
        List<SampleOutcome> on = evaluate(a, BudgetCheckpoints.at(at));
        int broken = 0;
        for (int s = 0; s < ids.length; s++) {
            SampleOutcome o = on.get(s);
            assertSameExceptCheckpoints(off.get(s), o);
            assertTrue(off.get(s).attack().checkpoints().isEmpty());
            List<CheckpointOutcome> c = o.attack().checkpoints();
            assertEquals(at, c.stream().map(CheckpointOutcome::iteration).toList(), a.name());
            CheckpointOutcome last = c.get(c.size() - 1);
            assertEquals(a.checkpointIterations(), last.ofIterations());
            assertEquals(
                    "iteration " + at.get(0) + " of a run of " + a.checkpointIterations(),
                    c.get(0).label());
            // The last checkpoint is at or past the attack's budget: the returned image, the
            // final votes and the final counts.
            assertArrayEquals(o.votes().adversarial(), last.votes(), a.name() + " sample " + s);
            assertEquals(o.cost().gradients(), last.gradients());
            assertEquals(o.cost().forwards(), last.forwards());
            assertEquals(o.attack().duringAttack().evaluations(), last.evaluations());
            assertEquals(o.attack().duringAttack().fooled(), last.fooled());
            for (int k = 1; k < c.size(); k++) {
                assertTrue(c.get(k).gradients() >= c.get(k - 1).gradients());
                assertTrue(c.get(k).evaluations() >= c.get(k - 1).evaluations());
                assertTrue(c.get(k).fooled() >= c.get(k - 1).fooled());
            }
            broken += o.attack().brokenBy() != null ? 1 : 0;
        }
        assertTrue(broken > 0 && broken < ids.length, a.name() + ": broken " + broken);
    }

    @Test
    void pgdRecordsWithoutChangingAnythingElse() {
        checkOnAndOff(Pgd.signEpsOver4(ThreatModel.linf(0.08), 8), List.of(0, 3, 8));
    }

    @Test
    void apgdCountsItsRestartsOneAfterAnother() {
        Apgd a = Apgd.ce(ThreatModel.linf(0.08)).withIterations(6).withRestarts(2);
        assertEquals(12, a.checkpointIterations());
        checkOnAndOff(a, List.of(2, 6, 9, 12));
    }

    @Test
    void aCompositionCountsItsMembersOneAfterAnother() {
        Composition c =
                new Composition(
                        "rand",
                        List.of(
                                Apgd.ce(ThreatModel.linf(0.06)).withIterations(5),
                                Apgd.dlr(ThreatModel.linf(0.06)).withIterations(5)));
        assertEquals(10, c.checkpointIterations());
        checkOnAndOff(c, List.of(1, 5, 7, 20));
    }

    @Test
    void theCurveEndsAtTheRunsOwnAccuracies() {
        Composition c =
                new Composition(
                        "rand",
                        List.of(
                                Apgd.ce(ThreatModel.linf(0.06)).withIterations(5),
                                Apgd.dlr(ThreatModel.linf(0.06)).withIterations(5)));
        List<SampleOutcome> o = evaluate(c, BudgetCheckpoints.at(List.of(0, 5, 10)));
        diffpure.eval.BudgetCurve curve =
                diffpure.eval.BudgetCurve.of(o, diffpure.eval.StepRowCost.ofDefence(7));
        assertEquals(3, curve.points().size());
        diffpure.eval.BudgetCurve.Point last = curve.points().get(2);
        diffpure.eval.ProtocolSummary s = diffpure.eval.ProtocolSummary.of(o);
        assertEquals(s.single(), last.single());
        assertEquals(s.majority(), last.majority());
        assertEquals(s.mean(), last.mean());
        assertEquals(s.worst(), last.worst());
        assertEquals(s.any(), last.any());
        assertEquals(s.duringAttack(), last.duringAttack());
        double rows = 0;
        for (SampleOutcome x : o) {
            rows += 7.0 * (x.cost().gradients() + x.cost().forwards());
        }
        assertEquals(rows / o.size(), last.stepRows(), 1e-9);
        assertEquals("iteration 5 of a run of 10", curve.points().get(1).label());
        // Step-rows spent grow with the budget.
        assertTrue(curve.points().get(0).stepRows() <= curve.points().get(1).stepRows());
        assertTrue(curve.points().get(1).stepRows() <= last.stepRows());
    }

    @Test
    void pgdCheckpointsHoldTheBestIterateAfterBIterations() {
        // PGD attacks every row for its whole budget: iterate i is evaluated with its gradient, so
        // checkpoint b has spent (b + 1) EOT gradient rows; the budget's end adds the last
        // iterate's gradient-free evaluation. The best so far never gets worse.
        Pgd pgd = Pgd.signEpsOver4(ThreatModel.linf(0.08), 6);
        AttackResult r =
                pgd.run(
                        model,
                        x,
                        y,
                        ids,
                        AttackContext.of(9)
                                .withCheckpoints(BudgetCheckpoints.at(List.of(0, 2, 5, 6))));
        List<Checkpoint> c = r.checkpoints();
        assertEquals(4, c.size());
        float[] returned = Tensors.host(r.adversarial());
        assertArrayEquals(returned, c.get(3).images());
        for (int s = 0; s < ids.length; s++) {
            assertEquals(1L * EOT, c.get(0).gradients()[s]);
            assertEquals(3L * EOT, c.get(1).gradients()[s]);
            assertEquals(6L * EOT, c.get(2).gradients()[s]);
            assertEquals(0L, c.get(2).forwards()[s]);
            assertEquals(6L * EOT, c.get(3).gradients()[s]);
            assertEquals(1L * EOT, c.get(3).forwards()[s]);
            for (int k = 1; k < 4; k++) {
                assertTrue(c.get(k).miss()[s] <= c.get(k - 1).miss()[s]);
            }
        }
        // Every checkpoint image lies in the ball.
        for (Checkpoint k : c) {
            pgd.threat().check(Tensors.host(x), k.images(), ids.length, "checkpoint");
        }
    }

    @Test
    void attacksThatCannotRecordRefuseCheckpoints() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                evaluate(
                                        Square.standard(ThreatModel.linf(0.05)),
                                        BudgetCheckpoints.at(List.of(10))));
        assertEquals(
                "attack.budget-checkpoints: square does not record budget checkpoints (PGD, APGD"
                        + " and compositions of them do); set attack.budget-checkpoints = []",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BudgetCheckpoints.at(List.of(5, 5)));
        assertEquals(
                "attack.budget-checkpoints must be strictly increasing iteration counts >= 0,"
                        + " found [5, 5]",
                e.getMessage());
    }
}
