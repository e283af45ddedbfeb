package diffpure.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.attack.Apgd;
import diffpure.attack.Attack;
import diffpure.attack.AttackContext;
import diffpure.attack.AttackResult;
import diffpure.attack.AttackTrace;
import diffpure.attack.BudgetCheckpoints;
import diffpure.attack.Composition;
import diffpure.attack.Pgd;
import diffpure.attack.ThreatModel;
import diffpure.data.Batch;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.Objective;
import diffpure.gradient.SurrogateGradient;
import diffpure.gradient.TargetModel;
import diffpure.model.synthetic.AnalyticDefence;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * attack.surrogate-evaluation = checkpoints on the analytic defence (20 steps; surrogate of 2): the
 * iterates are judged on the surrogate copies, a surrogate "success" neither stops an attack nor
 * breaks a sample, the votes are the defence's, the during-attack counts are not recorded, and a
 * sample costs the clean during-attack evaluations less.
 */
class SurrogateEvaluationTest {
    private static final int N = 64;
    private static final int EOT = 4;
    private static final int VOTES = 5;
    private static final int ITERATIONS = 5;
    private static final int STEPS = 20;
    private static NDManager manager;
    private static AnalyticDefence analytic;
    private static DiffusionPurifier purifier;
    private static Batch batch;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        analytic = AnalyticDefence.standard(manager);
        purifier = analytic.purifier(PurifierSpec.reference(0.1).withDt(5e-3));
        batch = Batch.of(manager, analytic.data(N, 3), 0, N);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static DefendedModel model(SurrogateGradient.Evaluation evaluation) {
        return new DefendedModel(
                purifier,
                analytic.classifier(),
                new SurrogateGradient(2, SurrogateGradient.Noise.SUMMED, evaluation),
                EOT,
                0,
                7);
    }

    private static Pgd pgd() {
        return Pgd.signEpsOver4(ThreatModel.linf(0.1), ITERATIONS);
    }

    private static List<SampleOutcome> evaluate(TargetModel m, Attack a, BudgetCheckpoints c) {
        return new RobustnessEvaluator(m, a, VOTES, 9, 0, 16, 1.0, c)
                .evaluate(batch.images(), batch.labels(), batch.ids());
    }

    @Test
    void iteratesAreJudgedOnTheSurrogateCopies() {
        DefendedModel judged = model(SurrogateGradient.Evaluation.CHECKPOINTS);
        DefendedModel defence = model(SurrogateGradient.Evaluation.DEFENCE);
        assertTrue(judged.judgesOnSurrogate());
        assertFalse(defence.judgesOnSurrogate());
        NDArray x = batch.images();
        TargetModel.Evaluation g =
                judged.lossAndGradient(
                        x, batch.labels(), batch.ids(), Objective.CROSS_ENTROPY, Purpose.PURIFY, 3);
        TargetModel.Evaluation d =
                defence.lossAndGradient(
                        x, batch.labels(), batch.ids(), Objective.CROSS_ENTROPY, Purpose.PURIFY, 3);
        // the same surrogate gradient; the logits of the surrogate copies, not the defence's
        assertArrayEquals(d.gradient().toFloatArray(), g.gradient().toFloatArray());
        assertFalse(java.util.Arrays.equals(d.logits().toFloatArray(), g.logits().toFloatArray()));
        assertEquals(
                d.diagnostics().modelForwards() - STEPS,
                g.diagnostics().modelForwards(),
                "no defence chain's forward (N_d F) for the loss and logits");
        // a gradient-free check of an iterate sees exactly those copies; a vote the defence's
        assertArrayEquals(
                g.logits().toFloatArray(),
                judged.logits(x, batch.ids(), Purpose.PURIFY, 3, EOT).toFloatArray());
        assertArrayEquals(
                d.logits().toFloatArray(),
                defence.logits(x, batch.ids(), Purpose.PURIFY, 3, EOT).toFloatArray());
        assertArrayEquals(
                defence.logits(x, batch.ids(), Purpose.VOTE_ADVERSARIAL, 0, VOTES).toFloatArray(),
                judged.logits(x, batch.ids(), Purpose.VOTE_ADVERSARIAL, 0, VOTES).toFloatArray());
    }

    @Test
    void aSurrogateSuccessBreaksNoSampleAndTheVotesAreTheDefences() {
        DefendedModel judged = model(SurrogateGradient.Evaluation.CHECKPOINTS);
        List<SampleOutcome> out = evaluate(judged, pgd(), BudgetCheckpoints.NONE);
        AttackResult r =
                pgd().run(judged, batch.images(), batch.labels(), batch.ids(), AttackContext.of(9));
        int[][] defenceVotes =
                predictions(
                        model(SurrogateGradient.Evaluation.DEFENCE)
                                .logits(
                                        r.adversarial(),
                                        batch.ids(),
                                        Purpose.VOTE_ADVERSARIAL,
                                        0,
                                        VOTES));
        int fooledOnSurrogateOnly = 0;
        for (int s = 0; s < N; s++) {
            SampleOutcome o = out.get(s);
            AttackTrace t = r.trace(s);
            assertNull(o.attack().brokenBy());
            assertEquals(-1, o.attack().firstSuccessIteration());
            assertFalse(t.success());
            assertArrayEquals(defenceVotes[s], o.votes().adversarial(), "sample " + s);
            assertFalse(o.attack().duringAttack().recorded());
            assertEquals(SampleOutcome.NOT_RECORDED, o.attack().duringAttack().fooled());
            assertEquals(SampleOutcome.NOT_RECORDED, o.attack().duringAttack().cleanEvaluations());
            assertTrue(Double.isNaN(Metric.DURING_ATTACK.robust(o)));
            // every copy of the surrogate fooled at the returned image, the defence's votes right
            if (t.returnedMiss() == 0 && Votes.majority(o.votes().adversarial(), o.label())) {
                fooledOnSurrogateOnly++;
                assertEquals(1.0, Metric.MAJORITY.robust(o), "robust on the defence's votes");
            }
        }
        assertTrue(
                fooledOnSurrogateOnly > 0,
                "no sample the surrogate called fooled and the defence did not: the test shows"
                        + " nothing");
        ProtocolSummary s = ProtocolSummary.of(out);
        assertNull(s.duringAttack());
        assertNull(s.cleanDuring());
    }

    @Test
    void aSurrogateSuccessStopsNoAttack() {
        // APGD-CE then APGD-DLR, 2 restarts each: in defence mode broken samples skip restarts and
        // the second member; judged on the surrogate every sample gets the whole budget.
        Attack a =
                new Composition(
                        "ce-dlr",
                        List.of(
                                Apgd.ce(ThreatModel.linf(0.1))
                                        .withIterations(ITERATIONS)
                                        .withRestarts(2),
                                Apgd.dlr(ThreatModel.linf(0.1))
                                        .withIterations(ITERATIONS)
                                        .withRestarts(2)));
        List<SampleOutcome> judged =
                evaluate(
                        model(SurrogateGradient.Evaluation.CHECKPOINTS), a, BudgetCheckpoints.NONE);
        long full = judged.stream().mapToLong(o -> o.cost().gradients()).max().orElseThrow();
        for (SampleOutcome o : judged) {
            assertEquals(full, o.cost().gradients(), "sample " + o.sampleId());
        }
        List<SampleOutcome> defence =
                evaluate(model(SurrogateGradient.Evaluation.DEFENCE), a, BudgetCheckpoints.NONE);
        assertEquals(
                full, defence.stream().mapToLong(o -> o.cost().gradients()).max().orElseThrow());
        assertTrue(
                defence.stream().anyMatch(o -> o.cost().gradients() < full),
                "in defence mode some sample is broken and skips work");
    }

    @Test
    void theCostIsTheCleanDuringAttackEvaluationsLess() {
        List<SampleOutcome> judged =
                evaluate(
                        model(SurrogateGradient.Evaluation.CHECKPOINTS),
                        pgd(),
                        BudgetCheckpoints.NONE);
        List<SampleOutcome> defence =
                evaluate(
                        model(SurrogateGradient.Evaluation.DEFENCE), pgd(), BudgetCheckpoints.NONE);
        long during =
                (ITERATIONS + 1L) * EOT; // every gradient step's copies and the last iterate's
        for (int s = 0; s < N; s++) {
            SampleOutcome j = judged.get(s);
            SampleOutcome d = defence.get(s);
            assertEquals(during, d.attack().duringAttack().evaluations());
            assertEquals(d.cost().gradients(), j.cost().gradients());
            assertEquals(d.cost().forwards(), j.cost().forwards());
            assertEquals(2L * VOTES, j.cost().voteEvaluations());
            assertEquals(2L * VOTES + during, d.cost().voteEvaluations());
            assertEquals(
                    during * STEPS,
                    StepRowCost.ofDefence(STEPS).of(d) - StepRowCost.ofDefence(STEPS).of(j));
        }
    }

    @Test
    void checkpointsVoteOnTheDefenceAndTheLastEqualsTheFinalVotes() {
        BudgetCheckpoints c = BudgetCheckpoints.at(List.of(0, 2, ITERATIONS));
        List<SampleOutcome> out =
                evaluate(model(SurrogateGradient.Evaluation.CHECKPOINTS), pgd(), c);
        for (SampleOutcome o : out) {
            assertEquals(3, o.attack().checkpoints().size());
            CheckpointOutcome last = o.attack().checkpoints().get(2);
            assertArrayEquals(o.votes().adversarial(), last.votes());
            for (CheckpointOutcome k : o.attack().checkpoints()) {
                assertFalse(k.duringAttackRecorded());
            }
        }
        BudgetCurve curve = BudgetCurve.of(out, StepRowCost.ofDefence(STEPS));
        assertNull(curve.points().get(2).duringAttack());
        assertEquals(
                ProtocolSummary.of(out).majority().estimate(),
                curve.points().get(2).majority().estimate());
    }

    @Test
    void reEvaluationsAreRefused() {
        Attack rand =
                new Composition(
                        "rand", Composition.autoAttackRand(ThreatModel.linf(0.1)).members(), 3);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                rand.requireCompatible(
                                        model(SurrogateGradient.Evaluation.CHECKPOINTS)));
        assertTrue(
                e.getMessage().contains("attack.surrogate-evaluation = checkpoints"),
                e.getMessage());
    }

    private static int[][] predictions(NDArray logits) {
        int b = (int) logits.getShape().get(0);
        int k = (int) logits.getShape().get(1);
        long[] p = logits.argMax(2).toLongArray();
        int[][] out = new int[b][k];
        for (int s = 0; s < b; s++) {
            for (int m = 0; m < k; m++) {
                out[s][m] = (int) p[s * k + m];
            }
        }
        return out;
    }
}
