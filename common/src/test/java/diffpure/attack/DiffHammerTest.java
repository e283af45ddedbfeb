package diffpure.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.data.Sample;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientDiagnostics;
import diffpure.gradient.GradientGrafting;
import diffpure.gradient.Objective;
import diffpure.gradient.SurrogateGradient;
import diffpure.gradient.TargetModel;
import diffpure.model.synthetic.AnalyticDefence;
import diffpure.model.synthetic.MixtureDataset;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** DiffHammer on the analytic defence. */
class DiffHammerTest {
    private static NDManager manager;
    private static AnalyticDefence analytic;
    private static DiffusionPurifier purifier;
    private static NDArray x;
    private static NDArray labels;
    private static long[] ids;
    private static final int B = 8;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        analytic = AnalyticDefence.standard(manager);
        purifier = analytic.purifier(PurifierSpec.reference(0.03).withDt(1.5e-3));
        MixtureDataset data = analytic.data(B, 3);
        float[] images = new float[B * 2];
        long[] lab = new long[B];
        ids = new long[B];
        for (int s = 0; s < B; s++) {
            Sample smp = data.get(s);
            System.arraycopy(smp.image(), 0, images, 2 * s, 2);
            lab[s] = smp.label();
            ids[s] = s;
        }
        x = manager.create(images, new Shape(B, 1, 1, 2));
        labels = manager.create(lab);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static DefendedModel model(int eot) {
        return new DefendedModel(
                purifier,
                analytic.classifier(),
                new SurrogateGradient(10, SurrogateGradient.Noise.SUMMED),
                eot,
                0,
                21);
    }

    /**
     * APGD's view of the grafted gradient: an evaluation at a draw is copy 0 of that draw (its loss
     * and logits), its gradient that draw replayed at the iterate with copy 0's BPDA gradient
     * grafted back; the run's first evaluation is the clean image's draw grafted at the random
     * start, as DiffHammer's first step is.
     */
    private record GraftedModel(DefendedModel model, GradientGrafting graft, long firstDraw)
            implements TargetModel {
        @Override
        public Evaluation lossAndGradient(
                NDArray xq,
                NDArray lab,
                long[] sampleIds,
                Objective objective,
                Purpose purpose,
                long draw) {
            NDArray evaluated = draw == firstDraw ? x : xq;
            DefendedModel.Copies c =
                    model.copiesWithBpda(evaluated, lab, sampleIds, objective, purpose, draw, 1);
            int b = sampleIds.length;
            long[] draws = new long[b];
            java.util.Arrays.fill(draws, draw);
            NDArray up = c.purifiedGradient().reshape(xq.getShape());
            NDArray g = model.grafted(xq, sampleIds, purpose, draws, new int[b], up, graft);
            return new Evaluation(
                    c.loss().reshape(b),
                    c.logits(),
                    g,
                    new GradientDiagnostics(0, 0, 0, Double.NaN));
        }

        @Override
        public NDArray logits(NDArray xq, long[] sampleIds, Purpose p, long draw, int copies) {
            return model.logits(xq, sampleIds, p, draw, copies);
        }

        @Override
        public int classes() {
            return model.classes();
        }

        @Override
        public int eot() {
            return 1;
        }

        @Override
        public boolean isRandomized() {
            return true;
        }

        @Override
        public String describe() {
            return "grafted " + model.describe();
        }
    }

    @Test
    void withOneCopyAndNeitherWeightingNorMomentumItIsApgdOnTheGraftedGradient() {
        ThreatModel threat = new ThreatModel(Norm.LINF, 0.12);
        AttackContext ctx = AttackContext.of(99);
        for (GradientGrafting.States states : GradientGrafting.States.values()) {
            DiffHammer hammer =
                    new DiffHammer(
                            threat,
                            12,
                            1,
                            List.of(DiffHammer.RestartLoss.CE),
                            states,
                            DiffHammer.Steering.PLAIN,
                            0.5);
            AttackResult h = hammer.run(model(1), x, labels, ids, ctx);
            GradientGrafting graft = GradientGrafting.of(model(1).mode(), states);
            Apgd apgd = new Apgd(Apgd.ApgdLoss.CE, threat, 12, 1, 9, 0.75);
            AttackResult a =
                    apgd.run(new GraftedModel(model(1), graft, ctx.draw(1)), x, labels, ids, ctx);
            assertArrayEquals(
                    a.adversarial().toFloatArray(), h.adversarial().toFloatArray(), states.name());
            int broken = 0;
            for (int s = 0; s < B; s++) {
                AttackTrace ta = a.trace(s);
                AttackTrace th = h.trace(s);
                assertEquals(ta.success(), th.success(), "sample " + s);
                assertEquals(ta.firstSuccessIteration(), th.firstSuccessIteration(), "sample " + s);
                assertEquals(ta.evaluations(), th.evaluations(), "sample " + s);
                assertEquals(ta.fooledEvaluations(), th.fooledEvaluations(), "sample " + s);
                assertEquals(ta.returnedMiss(), th.returnedMiss(), "sample " + s);
                broken += th.success() ? 1 : 0;
            }
            assertTrue(broken > 0 && broken < B, "a case that tells attacks apart: " + broken);
        }
    }

    @Test
    void officialRestartsAttackOnlyTheSamplesNotYetFooledOnHalfTheCopies() {
        ThreatModel threat = new ThreatModel(Norm.LINF, 0.15);
        int n = 4;
        int iterations = 5;
        DiffHammer hammer =
                DiffHammer.official(threat, n, GradientGrafting.States.COARSE)
                        .withIterations(iterations);
        AttackResult r = hammer.run(model(1), x, labels, ids, AttackContext.of(5));
        long perRestart = (long) n * (iterations + 1);
        int once = 0;
        int thrice = 0;
        for (int s = 0; s < B; s++) {
            AttackTrace t = r.trace(s);
            long restarts = t.evaluations() / perRestart;
            assertEquals(0, t.evaluations() % perRestart, "sample " + s);
            assertTrue(restarts >= 1 && restarts <= 3, "sample " + s);
            once += restarts == 1 ? 1 : 0;
            thrice += restarts == 3 ? 1 : 0;
            if (restarts < 3) {
                // stopped: some iteration fooled more than half its copies
                assertTrue(t.fooledEvaluations() * 2 > n, "sample " + s);
            }
        }
        assertTrue(once > 0 && thrice > 0, once + " samples once, " + thrice + " thrice");
    }

    @Test
    void refusesWhatItCannotAttack() {
        DiffHammer hammer =
                DiffHammer.official(
                        new ThreatModel(Norm.LINF, 0.1), 10, GradientGrafting.States.COARSE);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> hammer.requireCompatible(model(2)));
        assertEquals(
                "attack.eot must be 1 for diffhammer (its copies per iteration are"
                        + " attack.evaluations), found 2",
                e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> hammer.requireCompatible(Fixtures.linear(manager, 4)));
        assertTrue(e.getMessage().startsWith("diffhammer replays purification draws"));
        e = assertThrows(IllegalArgumentException.class, () -> hammer.requireClassCount(2));
        assertEquals(
                "diffhammer needs at least 3 classes (the DLR loss of its last restart), the model"
                        + " has 2",
                e.getMessage());
        assertEquals(150, hammer.checkpointIterations());
        assertTrue(
                new DiffHammer(
                                        new ThreatModel(Norm.LINF, 0.1),
                                        10,
                                        1,
                                        List.of(DiffHammer.RestartLoss.CE),
                                        GradientGrafting.States.COARSE,
                                        DiffHammer.Steering.PLAIN,
                                        0.5)
                                .losses()
                                .size()
                        == 1);
    }
}
