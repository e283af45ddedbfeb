package diffpure.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.attack.Apgd;
import diffpure.attack.AttackContext;
import diffpure.attack.AttackResult;
import diffpure.attack.FlowWarp;
import diffpure.attack.Pgd;
import diffpure.attack.Square;
import diffpure.attack.StAdv;
import diffpure.attack.ThreatModel;
import diffpure.gradient.BpdaGradient;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientDiagnostics;
import diffpure.gradient.Objective;
import diffpure.gradient.StoredStatesGradient;
import diffpure.gradient.TargetModel;
import diffpure.gradient.UndefendedModel;
import diffpure.model.Classifier;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.model.synthetic.MlpScoreModel;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.sde.VpSchedule;
import diffpure.solver.EulerMaruyama;
import diffpure.torch.PtAutograd;
import diffpure.torch.Scalars;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gradient-masking checks on models built to trip them and on a well-behaved one; the protocol on
 * bare and DiffPure-defended synthetic models (10-step chain, EOT 2, 4 images).
 */
class SanityAndEvaluatorTest {
    private static final Shape IMG = new Shape(1, 8, 8);
    private static NDManager manager;
    private static LinearClassifier linear;
    private static NDArray x;
    private static NDArray y;
    private static long[] ids;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        linear = new LinearClassifier(manager, IMG, 10, 7);
        float[] data = new float[16 * 64];
        GaussianNoise.fill(new NoiseKey(3, 0, Purpose.TEST, 0, 0), 0, data, 0, data.length);
        for (int i = 0; i < data.length; i++) {
            data[i] = Math.min(0.9f, Math.max(0.1f, 0.5f + 0.15f * data[i]));
        }
        x = manager.create(data, new Shape(16).addAll(IMG));
        try (PtAutograd.Mode off = PtAutograd.disabled()) {
            y = linear.logits(x).argMax(1);
        }
        ids = new long[16];
        for (int i = 0; i < 16; i++) {
            ids[i] = 500 + i;
        }
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** Quantises its input to 8 bits first: zero input gradients everywhere. */
    private static Classifier quantised() {
        return new Classifier() {
            @Override
            public NDArray logits(NDArray in) {
                return linear.logits(Scalars.div(Scalars.mul(in, 255).round(), 255));
            }

            @Override
            public int classes() {
                return 10;
            }

            @Override
            public Shape imageShape() {
                return IMG;
            }

            @Override
            public String describe() {
                return "quantised linear";
            }
        };
    }

    private static DefendedModel defended(GradientDiagnostics unused, String mode, int eot) {
        VpSchedule sched = VpSchedule.DEFAULT;
        double abar = ForwardAlphaBar.DISCRETE.at(sched, 0.1);
        // A nonlinear score model, so that the exact gradient is not a rescaled BPDA gradient.
        DiffusionPurifier p =
                new DiffusionPurifier(
                        new MlpScoreModel(manager, IMG, 32, 2.0, 5),
                        EulerMaruyama.chain(
                                new ReverseVpSde(sched), TimeGrid.of(0.1, 1e-5, 0.01), abar));
        return new DefendedModel(
                p,
                linear,
                mode.equals("bpda") ? new BpdaGradient() : StoredStatesGradient.exact(),
                eot,
                0,
                11);
    }

    @Test
    void maskedGradientsTripTheZeroGradientUnboundedAndSquareChecks() {
        GradientMaskingChecks checks =
                GradientMaskingChecks.defaults(
                        Square.standard(ThreatModel.linf(0.1)).withIterations(1000));
        List<String> w =
                checks.run(
                        new UndefendedModel(quantised()),
                        Pgd.signEpsOver4(ThreatModel.linf(0.1), 8),
                        x,
                        y,
                        ids,
                        1);
        assertTrue(
                w.stream()
                        .anyMatch(
                                s ->
                                        s.startsWith(
                                                "pgd-eot-sign: 16 of 16 samples had all-zero"
                                                        + " input")),
                w.toString());
        assertTrue(
                w.stream().anyMatch(s -> s.contains("with unbounded eps 1.000 left 100.0% robust")),
                w.toString());
        assertTrue(
                w.stream().anyMatch(s -> s.startsWith("square (1000 queries) left")), w.toString());
        assertFalse(w.stream().anyMatch(s -> s.startsWith("robust accuracy rose")), w.toString());
    }

    /**
     * A noise defence (the VP chain from t* = 0.01 with a score model that predicts no noise: the
     * purified image is the input plus Gaussian noise) in front of a classifier of gray 28 x 28
     * images (label 0) that reads the mean brightness a of pixels 2.. above the gray: right below a
     * = 0.01, wrong on every draw up to a = 0.25 with a modest loss, and beyond that wrong only
     * when pixel 0 comes out brighter than pixel 1 (half the draws, on pixels that get no gradient)
     * but then with a ten times larger loss. No dependence on draw numbers or purposes: the same
     * model as tools/test_fixtures.py's heavy-tail classifier in the Spark test.
     */
    private static DefendedModel heavyTail(int eot) {
        Shape img = new Shape(1, 28, 28);
        diffpure.model.ScoreModel none =
                new diffpure.model.ScoreModel() {
                    @Override
                    public NDArray predictNoise(NDArray yIn, NDArray t) {
                        // 0 * y keeps a graph for the chain's vector-Jacobian products
                        return Scalars.mul(yIn, 0);
                    }

                    @Override
                    public Shape imageShape() {
                        return img;
                    }

                    @Override
                    public double minTime() {
                        return 0;
                    }

                    @Override
                    public double maxTime() {
                        return 1;
                    }

                    @Override
                    public String describe() {
                        return "no score";
                    }
                };
        Classifier clf =
                new Classifier() {
                    @Override
                    public NDArray logits(NDArray in) {
                        // Constants through Scalars: the graph keeps them (diffpure.torch.Scalars)
                        NDArray flat = in.reshape(in.getShape().get(0), -1);
                        NDArray a = Scalars.sub(flat.get(":, 2:").mean(new int[] {1}), 0.5);
                        NDArray b = flat.get(":, 0").sub(flat.get(":, 1"));
                        NDArray late =
                                NDArrays.where(
                                        b.gt(0f),
                                        Scalars.add(Scalars.mul(a, 10), 20),
                                        Scalars.sub(a, 5));
                        NDArray m =
                                NDArrays.where(
                                        a.lt(0.01f),
                                        Scalars.sub(a, 3),
                                        NDArrays.where(a.lt(0.25f), Scalars.add(a, 2), late));
                        NDArray zero = m.zerosLike().expandDims(1);
                        return NDArrays.concat(
                                new NDList(zero, m.expandDims(1), zero.repeat(1, 8).sub(30f)), 1);
                    }

                    @Override
                    public int classes() {
                        return 10;
                    }

                    @Override
                    public Shape imageShape() {
                        return img;
                    }

                    @Override
                    public String describe() {
                        return "heavy-tail";
                    }
                };
        VpSchedule sched = VpSchedule.DEFAULT;
        DiffusionPurifier p =
                new DiffusionPurifier(
                        none,
                        EulerMaruyama.chain(
                                new ReverseVpSde(sched),
                                TimeGrid.of(0.01, 1e-5, 0.002),
                                ForwardAlphaBar.DISCRETE.at(sched, 0.01)));
        return new DefendedModel(p, clf, StoredStatesGradient.exact(), eot, 0, 13);
    }

    @Test
    void rareHugeLossesPastTheBudgetTripTheMoreIterationsCheck() {
        // 12 steps of 0.02 stay where every draw is wrong: robust 0. The 24-step rerun reaches
        // points where a draw is wrong half of the time with a 10x larger loss, and keeps one once
        // all 3 EOT copies of an evaluation were wrong (the best-iterate rule's loss tie-break);
        // fresh majority-of-3 votes are right there half of the time. Expected on about 40% of
        // the samples, none the other way: systematic, not draw noise.
        int n = 32;
        long[] grayIds = new long[n];
        for (int i = 0; i < n; i++) {
            grayIds[i] = 900 + i;
        }
        NDArray gray = manager.full(new Shape(n, 1, 28, 28), 0.5f);
        NDArray zeros = manager.zeros(new Shape(n), ai.djl.ndarray.types.DataType.INT64);
        GradientMaskingChecks checks =
                new GradientMaskingChecks(
                        n,
                        2,
                        2,
                        0.05,
                        0.02,
                        0.05,
                        Square.standard(ThreatModel.linf(0.5)).withIterations(5));
        GradientMaskingChecks.Report r =
                checks.report(
                        heavyTail(3),
                        Pgd.leeKim(ThreatModel.linf(0.5)).withStep(0.02).withIterations(12),
                        gray,
                        zeros,
                        grayIds,
                        1);
        GradientMaskingChecks.Check more = r.checks().get(1);
        assertEquals("more-iterations", more.name());
        assertEquals(0.0, more.measured().get("robust_base"));
        assertEquals(0, ((Number) more.measured().get("only_stronger_broken")).intValue());
        assertTrue(
                String.valueOf(more.warning()).startsWith("robust accuracy rose from 0.0% to ")
                        && more.warning().contains("pgd-eot with 24 instead of 12 iterations"),
                r.json());
        // The same path at eps 1: that check is quiet.
        assertEquals(null, r.checks().get(2).warning(), r.json());
    }

    @Test
    void aWellBehavedModelRaisesNoWarning() {
        GradientMaskingChecks checks =
                GradientMaskingChecks.defaults(
                        Square.standard(ThreatModel.linf(0.1)).withIterations(100));
        List<String> w =
                checks.run(
                        new UndefendedModel(linear),
                        Apgd.ce(ThreatModel.linf(0.03)).withIterations(20),
                        x,
                        y,
                        ids,
                        1);
        assertEquals(List.of(), w);
    }

    @Test
    void theChecksRunForCompositionsAndFlowBallsAndReportWhatTheyMeasured() {
        GradientMaskingChecks checks =
                new GradientMaskingChecks(
                        8,
                        2,
                        2,
                        0.05,
                        0.02,
                        0.05,
                        Square.standard(ThreatModel.linf(0.1)).withIterations(20));
        UndefendedModel m = new UndefendedModel(linear);
        // A composition's members run in child stages (before: stage 8001, out of range).
        GradientMaskingChecks.Report rand =
                checks.report(
                        m,
                        diffpure.attack.Composition.autoAttackRand(ThreatModel.linf(0.03))
                                .withIterations(3),
                        x,
                        y,
                        ids,
                        1);
        assertEquals(
                List.of("zero-gradients", "more-iterations", "larger-eps", "unbounded", "square"),
                rand.checks().stream().map(GradientMaskingChecks.Check::name).toList());
        String json = rand.json();
        assertTrue(
                json.startsWith("{\"subset\": 8, \"checks\": [{\"name\": \"zero-gradients\""),
                json);
        assertTrue(
                json.contains("\"measured\": {\"samples\": 8, \"samples_with_zero_gradients\": 0}"),
                json);
        // StAdv's ball is a flow bound: Square is not applicable, the rest runs.
        GradientMaskingChecks.Report stadv =
                checks.report(m, StAdv.diffPure(0.05).withIterations(3), x, y, ids, 1);
        GradientMaskingChecks.Check sq = stadv.checks().get(4);
        assertEquals("square", sq.name());
        assertTrue(
                String.valueOf(sq.measured().get("skipped")).contains("flow bound"), sq.toString());
        assertEquals(null, sq.warning());
    }

    @Test
    void stagesRunSeparatelyAndInAnyOrderGiveTheSequentialReport() {
        // A randomized defence: every stage draws noise, so a stage that shared or shifted another
        // stage's draws would change the figures.
        GradientMaskingChecks checks =
                new GradientMaskingChecks(
                        4,
                        2,
                        2,
                        0.05,
                        0.02,
                        0.05,
                        Square.standard(ThreatModel.linf(0.1)).withIterations(6));
        DefendedModel model = defended(null, "exact", 2);
        Pgd attack = Pgd.signEpsOver4(ThreatModel.linf(0.1), 2);
        String sequential = checks.report(model, attack, x, y, ids, 5).json();
        List<GradientMaskingChecks.StageOutcome> outcomes = new java.util.ArrayList<>();
        List<GradientMaskingChecks.Stage> stages =
                new java.util.ArrayList<>(List.of(GradientMaskingChecks.Stage.values()));
        java.util.Collections.reverse(stages);
        for (GradientMaskingChecks.Stage s : stages) {
            outcomes.add(checks.runStage(s, model, attack, x, y, ids, 5));
        }
        assertEquals(sequential, checks.report(attack, x.getShape().slice(1), outcomes).json());
        IllegalArgumentException twice =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                checks.report(
                                        attack,
                                        x.getShape().slice(1),
                                        List.of(outcomes.get(1), outcomes.get(1))));
        assertTrue(twice.getMessage().contains("given twice"), twice.getMessage());
    }

    @Test
    void aRandomizedModelWithoutEotIsAnError() {
        DefendedModel one = defended(null, "exact", 1);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> RobustnessEvaluator.of(one, Apgd.ce(ThreatModel.linf(0.1)), 1));
        assertTrue(
                e.getMessage().startsWith("apgd-ce on the randomized model ")
                        && e.getMessage()
                                .endsWith(
                                        " needs attack.eot >= 2 (EOT; attack.evaluations for diffhammer), found 1; for randomized"
                                                + " defences AutoAttack advises its version 'rand'"
                                                + " (APGD-CE + APGD-DLR with EOT 20), not 'standard'"
                                                + " (EOT 1)"),
                e.getMessage());
    }

    @Test
    void theProtocolRecordsVotesCountsAndPerturbations() {
        RobustnessEvaluator ev =
                new RobustnessEvaluator(
                        new UndefendedModel(linear),
                        Apgd.ce(ThreatModel.l2(0.5)).withIterations(5),
                        3,
                        7,
                        0,
                        64);
        List<SampleOutcome> o = ev.evaluate(x, y, ids);
        assertEquals(16, o.size());
        for (SampleOutcome s : o) {
            assertEquals(3, s.votes().clean().length);
            assertEquals(6, s.cost().gradients());
            assertEquals(
                    s.attack().duringAttack().evaluations(),
                    s.attack().duringAttack().cleanEvaluations());
            assertEquals("none", s.diagnostics().gradientMode());
            double l2 = 0;
            for (float v : s.attack().perturbation().delta()) {
                l2 += (double) v * v;
            }
            assertEquals(Math.sqrt(l2), s.attack().perturbation().l2(), 1e-9);
            assertTrue(s.attack().perturbation().l2() <= 0.5 + 1e-6);
            // Deterministic model: all K votes agree, so every criterion agrees with vote 1.
            assertEquals(
                    Votes.worst(s.votes().adversarial(), s.label()),
                    Votes.any(s.votes().adversarial(), s.label()));
            assertEquals(s.attack().brokenBy() != null, s.attack().duringAttack().flagged());
        }
    }

    @Test
    void attacksRunOnTheDefendedModelAndCountEotGradients() {
        DefendedModel m = defended(null, "exact", 2);
        NDArray xs = x.get("0:4");
        NDArray ys = y.get("0:4");
        long[] id4 = {ids[0], ids[1], ids[2], ids[3]};
        RobustnessEvaluator ev =
                new RobustnessEvaluator(
                        m, Apgd.ce(ThreatModel.linf(0.05)).withIterations(3), 3, 5, 0, 4);
        List<SampleOutcome> o = ev.evaluate(xs, ys, id4);
        for (SampleOutcome s : o) {
            assertEquals(2 * 4, s.cost().gradients(), "EOT 2 x (start + 3 iterations)");
            assertEquals(8, s.attack().duringAttack().evaluations());
            assertEquals(8, s.attack().duringAttack().cleanEvaluations());
            assertEquals("exact", s.diagnostics().gradientMode());
            assertTrue(s.attack().perturbation().linf() <= 0.05 + 1e-6);
        }
        AttackResult sq =
                Square.standard(ThreatModel.l2(0.3))
                        .withIterations(3)
                        .run(m, xs, ys, id4, AttackContext.of(1));
        assertTrue(sq.traces().stream().allMatch(t -> t.gradients() == 0 && t.forwards() > 0));
        StAdv.Result st =
                StAdv.diffPure(0.05)
                        .withIterations(3)
                        .runWithFlows(m, xs, ys, id4, AttackContext.of(2));
        assertTrue(
                st.attack().traces().stream()
                        .allMatch(t -> t.gradients() == 2 * 3 && t.evaluations() == 2 * 3));
        double[] flowLinf = new FlowWarp(1, 8, 8).linf(st.flows(), 4);
        for (double d : flowLinf) {
            assertTrue(d > 0 && d <= 0.05 + 1e-7, "flow " + d);
        }
    }

    @Test
    void theAveragedLogitPredictionIsTheArgmaxOfTheMeanVoteLogits() {
        DefendedModel m = defended(null, "exact", 2);
        NDArray xs = x.get("0:4");
        NDArray ys = y.get("0:4");
        long[] id4 = {ids[0], ids[1], ids[2], ids[3]};
        List<SampleOutcome> o =
                new RobustnessEvaluator(m, Pgd.signEpsOver4(ThreatModel.linf(0.05), 1), 5, 5, 0, 4)
                        .evaluate(xs, ys, id4);
        // The clean votes are keyed draws: the same call gives the same logits.
        long[] expected =
                m.logits(xs, id4, Purpose.VOTE_CLEAN, 0, 5)
                        .mean(new int[] {1})
                        .argMax(1)
                        .toLongArray();
        for (int s = 0; s < 4; s++) {
            assertEquals(expected[s], o.get(s).votes().cleanLogitPrediction());
            assertTrue(o.get(s).votes().hasLogitPredictions());
            assertTrue(o.get(s).votes().adversarialLogitPrediction() >= 0);
        }
        ProtocolSummary sum = ProtocolSummary.of(o);
        long correct = o.stream().filter(SampleOutcome::adversarialLogitCorrect).count();
        assertEquals(correct / 4.0, sum.logit().estimate(), 1e-12);
    }

    @Test
    void nonFiniteLogitsAreAComputeFailureNeverAVote() {
        // NaN logits for every image brighter than the median: an argmax would still name a class.
        Classifier nan =
                new Classifier() {
                    @Override
                    public NDArray logits(NDArray in) {
                        NDArray l = linear.logits(in);
                        NDArray bright =
                                in.reshape(in.getShape().get(0), -1)
                                        .mean(new int[] {1})
                                        .gt(0.5f)
                                        .reshape(-1, 1)
                                        .broadcast(l.getShape());
                        return ai.djl.ndarray.NDArrays.where(bright, l.mul(Float.NaN), l);
                    }

                    @Override
                    public int classes() {
                        return 10;
                    }

                    @Override
                    public Shape imageShape() {
                        return IMG;
                    }

                    @Override
                    public String describe() {
                        return "nan for bright images";
                    }
                };
        diffpure.gradient.FiniteLogits.NonFiniteException e =
                assertThrows(
                        diffpure.gradient.FiniteLogits.NonFiniteException.class,
                        () ->
                                new RobustnessEvaluator(
                                                new UndefendedModel(nan),
                                                Pgd.signEpsOver4(ThreatModel.linf(0.0), 1),
                                                3,
                                                7,
                                                0,
                                                64)
                                        .evaluate(x, y, ids));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "non-finite logits (NaN or Inf) from the clean votes for"
                                        + " sample 5"),
                e.getMessage());
    }

    @Test
    void bpdaDiffersFromTheExactGradientOnlyInTheBackwardPass() {
        DefendedModel exact = defended(null, "exact", 2);
        DefendedModel bpda = defended(null, "bpda", 2);
        NDArray xs = x.get("0:4");
        NDArray ys = y.get("0:4");
        long[] id4 = {ids[0], ids[1], ids[2], ids[3]};
        TargetModel.Evaluation e =
                exact.lossAndGradient(xs, ys, id4, Objective.CROSS_ENTROPY, Purpose.PURIFY, 3);
        TargetModel.Evaluation b =
                bpda.lossAndGradient(xs, ys, id4, Objective.CROSS_ENTROPY, Purpose.PURIFY, 3);
        float[] le = e.logits().toFloatArray();
        float[] lb = b.logits().toFloatArray();
        for (int i = 0; i < le.length; i++) {
            assertEquals(le[i], lb[i], 1e-5, "the same forward pass");
        }
        float[] ge = e.gradient().toFloatArray();
        float[] gb = b.gradient().toFloatArray();
        double diff = 0;
        for (int i = 0; i < ge.length; i++) {
            diff = Math.max(diff, Math.abs(ge[i] - gb[i]));
        }
        assertNotEquals(0.0, diff, "a different backward pass");
        Pgd attack = Pgd.bpdaEot(0.05).withIterations(2);
        AttackResult rb = attack.run(bpda, xs, ys, id4, AttackContext.of(2));
        AttackResult re =
                new Pgd(
                                "pgd",
                                attack.threat(),
                                2,
                                attack.step(),
                                attack.stepScale(),
                                attack.rule(),
                                attack.start(),
                                "")
                        .run(exact, xs, ys, id4, AttackContext.of(2));
        for (int s = 0; s < 4; s++) {
            assertEquals(re.trace(s).evaluations(), rb.trace(s).evaluations());
            assertEquals(4, rb.trace(s).gradients());
        }
        assertNotEquals(
                0.0, maxDiff(rb.adversarial().toFloatArray(), re.adversarial().toFloatArray()));
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
