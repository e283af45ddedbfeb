package diffpure.gradient;

import static diffpure.gradient.GradientTesting.maxRelativeDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.Classifier;
import diffpure.model.synthetic.AnalyticDefence;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.model.synthetic.MlpScoreModel;
import diffpure.noise.NoiseKey;
import diffpure.noise.NoiseSource;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import diffpure.sde.ChainStep;
import diffpure.sde.CoarseChain;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ProbabilityFlowOde;
import diffpure.sde.ReverseChain;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.sde.VpSchedule;
import diffpure.solver.DdpmAncestral;
import diffpure.solver.EulerMaruyama;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Surrogate-chain gradients: the defence chain itself at N_s = N_d, the exact gradient of the
 * coarse chain with summed increments below it, equal to backprop and finite differences of it.
 */
class SurrogateGradientTest {
    private static final VpSchedule SCHEDULE = VpSchedule.DEFAULT;
    private static final double T_STAR = 0.1;
    private static final double DT = 5e-3; // 20 defence steps
    private static NDManager manager;
    private static AnalyticDefence analytic;
    private static MlpScoreModel mlp;
    private static LinearClassifier linear;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        analytic = AnalyticDefence.standard(manager);
        mlp = new MlpScoreModel(manager, new Shape(1, 4, 4), 32, 1.5, 5);
        linear = new LinearClassifier(manager, new Shape(1, 4, 4), 10, 3);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** A case: a purifier over 20 steps, a classifier, inputs, labels and per-row noise. */
    private record Case(
            DiffusionPurifier defence,
            Classifier classifier,
            NDArray x,
            NDArray labels,
            RowNoise noise) {}

    private static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        PurifierSpec spec = PurifierSpec.reference(T_STAR).withDt(DT);
        out.add(make(analytic.purifier(spec), analytic.classifier(), 4));
        out.add(make(spec.build(mlp, SCHEDULE), linear, 3));
        return out;
    }

    private static Case make(DiffusionPurifier p, Classifier c, int rows) {
        NDArray x = GradientTesting.images(manager, rows, p.inputShape(), 13);
        int[] labels = new int[rows];
        List<NoiseKey> keys = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            labels[r] = r % c.classes();
            keys.add(new NoiseKey(5, 300 + r, Purpose.PURIFY, 0, 0));
        }
        return new Case(p, c, x, manager.create(labels), new RowNoise(keys));
    }

    private static RowGradient run(GradientMode mode, DiffusionPurifier p, Case c, NoiseSource n) {
        return mode.compute(p, c.classifier(), Objective.CROSS_ENTROPY, c.x(), c.labels(), n);
    }

    @Test
    void withAsManyStepsAsTheDefenceItIsExact() {
        for (Case c : cases()) {
            RowGradient exact = run(StoredStatesGradient.exact(), c.defence(), c, c.noise());
            RowGradient sur =
                    run(
                            new SurrogateGradient(20, SurrogateGradient.Noise.SUMMED),
                            c.defence(),
                            c,
                            c.noise());
            assertTrue(
                    maxRelativeDifference(sur.gradient(), exact.gradient()) < 1e-6,
                    c.defence().describe());
            assertArrayEquals(exact.loss().toFloatArray(), sur.loss().toFloatArray());
            assertArrayEquals(exact.logits().toFloatArray(), sur.logits().toFloatArray());
            assertEquals(20, sur.diagnostics().modelBackwards(), "no second chain");
        }
    }

    /**
     * The coarse defence built independently: the reverse SDE on the grid of step 2 dt, its step k
     * driven by (sqrt(h_2k) z_2k + sqrt(h_2k+1) z_2k+1) / sqrt(h_2k + h_2k+1) from the defence's
     * draws (the Brownian increments' sum over the coarse step, as a standard normal).
     */
    private static DiffusionPurifier coarseDefence(Case c) {
        double abar = ForwardAlphaBar.DISCRETE.at(SCHEDULE, T_STAR);
        ReverseChain chain =
                EulerMaruyama.chain(
                        new ReverseVpSde(SCHEDULE), TimeGrid.of(T_STAR, 1e-5, 2 * DT), abar);
        assertEquals(10, chain.length());
        return new DiffusionPurifier(c.defence().model(), chain);
    }

    private static NoiseSource pairedIncrements(NoiseSource fine) {
        TimeGrid grid = TimeGrid.of(T_STAR, 1e-5, DT);
        return new NoiseSource() {
            @Override
            public int rows() {
                return fine.rows();
            }

            @Override
            public NDArray draw(NDManager m, long step, Shape shape) {
                if (step < 0) {
                    return fine.draw(m, step, shape);
                }
                int j = (int) (2 * step);
                double h0 = grid.stepSize(j);
                double h1 = grid.stepSize(j + 1);
                // weights in double, then one float32 multiply each: the increments' sum rescaled
                return fine.draw(m, j, shape)
                        .mul(Math.sqrt(h0 / (h0 + h1)))
                        .add(fine.draw(m, j + 1, shape).mul(Math.sqrt(h1 / (h0 + h1))));
            }

            @Override
            public NoiseSource slice(int from, int to) {
                return pairedIncrements(fine.slice(from, to));
            }
        };
    }

    @Test
    void atHalfTheStepsItIsExactOnTheCoarseDefenceAndBackpropAndFiniteDifferencesAgree() {
        for (Case c : cases()) {
            RowGradient sur =
                    run(
                            new SurrogateGradient(10, SurrogateGradient.Noise.SUMMED),
                            c.defence(),
                            c,
                            c.noise());
            DiffusionPurifier coarse = coarseDefence(c);
            NoiseSource summed = pairedIncrements(c.noise());
            RowGradient exactCoarse = run(StoredStatesGradient.exact(), coarse, c, summed);
            RowGradient backpropCoarse = run(new BackpropGradient(), coarse, c, summed);
            String what = c.defence().describe();
            assertTrue(
                    maxRelativeDifference(sur.gradient(), exactCoarse.gradient()) < 1e-6,
                    what + ": exact on the coarse defence");
            assertTrue(
                    maxRelativeDifference(sur.gradient(), backpropCoarse.gradient()) < 1e-5,
                    what + ": backprop of the coarse chain");
            // judged on the defence chain: the loss and logits of the 20-step chain's draw
            RowGradient defence = run(new BpdaGradient(), c.defence(), c, c.noise());
            assertArrayEquals(defence.logits().toFloatArray(), sur.logits().toFloatArray(), what);
            assertArrayEquals(defence.loss().toFloatArray(), sur.loss().toFloatArray(), what);
            assertEquals(10 + 10 + 20, sur.diagnostics().modelForwards(), "N_s (F + V) + N_d F");
            assertEquals(10, sur.diagnostics().modelBackwards());
            // and it is not the defence's gradient
            RowGradient exact = run(StoredStatesGradient.exact(), c.defence(), c, c.noise());
            assertTrue(maxRelativeDifference(sur.gradient(), exact.gradient()) > 1e-3, what);
            // central differences of the coarse chain's loss along two directions
            for (int d = 0; d < 2; d++) {
                NDArray v = GradientTesting.direction(manager, c.x().getShape(), 41 + d);
                double h = 1e-3;
                double fd =
                        (coarseLoss(coarse, c, summed, c.x().add(v.mul(h)))
                                        - coarseLoss(coarse, c, summed, c.x().sub(v.mul(h))))
                                / (2 * h);
                double analyticDot = GradientTesting.dot(sur.gradient(), v);
                assertEquals(fd, analyticDot, 1e-2 * Math.abs(fd), what + ", direction " + d);
            }
        }
    }

    private static double coarseLoss(DiffusionPurifier coarse, Case c, NoiseSource n, NDArray x) {
        NDArray logits = c.classifier().logits(coarse.purify(x, n));
        return GradientTesting.sum(Objective.CROSS_ENTROPY.perRow(logits, c.labels()));
    }

    @Test
    void independentNoiseIsFreshAndStillJudgedOnTheDefence() {
        Case c = cases().get(0);
        RowGradient summed =
                run(
                        new SurrogateGradient(20, SurrogateGradient.Noise.SUMMED),
                        c.defence(),
                        c,
                        c.noise());
        RowGradient fresh =
                run(
                        new SurrogateGradient(20, SurrogateGradient.Noise.INDEPENDENT),
                        c.defence(),
                        c,
                        c.noise());
        assertTrue(maxRelativeDifference(fresh.gradient(), summed.gradient()) > 1e-2);
        assertArrayEquals(summed.logits().toFloatArray(), fresh.logits().toFloatArray());
        assertEquals(60, fresh.diagnostics().modelForwards(), "20 (F + V) + 20 F");
    }

    @Test
    void onTheOdeAndDdpmPurifiersItIsExactAtFullStepsAndBackpropOfTheCoarseChainBelow() {
        PurifierSpec ode =
                new PurifierSpec(
                        PurifierSpec.Kind.PF_ODE, T_STAR, 1e-5, DT, 0, ForwardAlphaBar.DISCRETE);
        PurifierSpec ddpm =
                new PurifierSpec(PurifierSpec.Kind.DDPM, 0, 0, 0, 20, ForwardAlphaBar.DISCRETE);
        for (PurifierSpec spec : new PurifierSpec[] {ode, ddpm}) {
            Case c = make(spec.build(mlp, SCHEDULE), linear, 3);
            RowGradient exact = run(StoredStatesGradient.exact(), c.defence(), c, c.noise());
            RowGradient full =
                    run(
                            new SurrogateGradient(20, SurrogateGradient.Noise.SUMMED),
                            c.defence(),
                            c,
                            c.noise());
            String what = c.defence().describe();
            assertTrue(maxRelativeDifference(full.gradient(), exact.gradient()) < 1e-6, what);
            SurrogateGradient half = new SurrogateGradient(10, SurrogateGradient.Noise.SUMMED);
            CoarseChain coarse = half.surrogateFor(c.defence());
            DiffusionPurifier coarseDefence = c.defence().withChain(coarse.chain());
            RowGradient backprop =
                    run(
                            new BackpropGradient(),
                            coarseDefence,
                            c,
                            new CoarseNoise(c.noise(), coarse));
            RowGradient sur = run(half, c.defence(), c, c.noise());
            assertTrue(
                    maxRelativeDifference(sur.gradient(), backprop.gradient()) < 1e-5,
                    what + ": backprop of the coarse chain");
            assertTrue(maxRelativeDifference(sur.gradient(), exact.gradient()) > 1e-4, what);
        }
    }

    @Test
    void probabilityFlowOdeCoarsensToTheOdeOnTheCoarserGrid() {
        double abar = ForwardAlphaBar.DISCRETE.at(SCHEDULE, T_STAR);
        ProbabilityFlowOde ode = new ProbabilityFlowOde(SCHEDULE);
        ReverseChain fine = EulerMaruyama.chain(ode, TimeGrid.of(T_STAR, 1e-5, DT), abar);
        ReverseChain direct = EulerMaruyama.chain(ode, TimeGrid.of(T_STAR, 1e-5, 2 * DT), abar);
        CoarseChain coarse = fine.coarsened(10);
        assertSteps(direct, coarse.chain(), 1e-12);
        assertEquals(fine, fine.coarsened(20).chain());
    }

    @Test
    void ddpmRespacesAlphaBar() {
        ReverseChain fine = DdpmAncestral.chain(SCHEDULE, 30);
        assertEquals(fine, fine.coarsened(30).chain());
        // one merged span (steps 0 and 1 of the chain: indices 29 and 28), the others unchanged
        CoarseChain merged = fine.coarsened(29);
        int[] starts = merged.starts();
        int wide = -1;
        for (int k = 0; k < 29; k++) {
            if (starts[k + 1] - starts[k] == 2) {
                wide = k;
            } else {
                assertEquals(fine.step(starts[k]), merged.chain().step(k), "span " + k);
            }
        }
        int i = 29 - starts[wide]; // the span's first index
        double alphaI = 1 - SCHEDULE.discreteBeta(i);
        double alphaNext = 1 - SCHEDULE.discreteBeta(i - 1);
        ChainStep s = merged.chain().step(wide);
        assertEquals(1 / Math.sqrt(alphaI * alphaNext), s.stateScale(), 1e-9);
        assertEquals((i + 0.5) / 1000, s.modelTime(), 0);
        // every respacing telescopes to the same alpha-bar over the whole chain
        for (int m : new int[] {1, 3, 15, 30}) {
            double prod = 1;
            for (ChainStep step : fine.coarsened(m).chain().steps()) {
                prod /= step.stateScale() * step.stateScale();
            }
            assertEquals(fine.alphaBarStar(), prod, 1e-12, m + " steps");
            assertEquals(0, fine.coarsened(m).chain().step(m - 1).noiseScale(), "last step");
        }
    }

    @Test
    void refusesMoreStepsThanTheDefence() {
        DiffusionPurifier p = cases().get(0).defence();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                new SurrogateGradient(21, SurrogateGradient.Noise.SUMMED)
                                        .surrogateFor(p));
        assertTrue(e.getMessage().contains("attack.surrogate-steps"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> new SurrogateGradient(0, SurrogateGradient.Noise.SUMMED));
    }

    private static void assertSteps(ReverseChain expected, ReverseChain actual, double tol) {
        assertEquals(expected.length(), actual.length());
        for (int k = 0; k < expected.length(); k++) {
            ChainStep e = expected.step(k);
            ChainStep a = actual.step(k);
            assertEquals(e.modelTime(), a.modelTime(), tol, "step " + k);
            assertEquals(e.stateScale(), a.stateScale(), tol, "step " + k);
            assertEquals(e.epsScale(), a.epsScale(), tol, "step " + k);
            assertEquals(e.noiseScale(), a.noiseScale(), tol, "step " + k);
        }
    }
}
