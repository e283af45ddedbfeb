package diffpure.gradient;

import static diffpure.gradient.GradientTesting.maxRelativeDifference;
import static diffpure.gradient.GradientTesting.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.synthetic.GaussianScoreModel;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.model.synthetic.MlpScoreModel;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import diffpure.purify.ChainRunner;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.ChainStep;
import diffpure.sde.CoarseChain;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ReverseChain;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.sde.VpSchedule;
import diffpure.solver.DdpmAncestral;
import diffpure.solver.EulerMaruyama;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DiffAttack's deviated-reconstruction loss ({@link DeviationLoss}): its gradient through every
 * mode that carries it equals full backprop and finite differences, it is zero on a chain that
 * reproduces the forward diffusion, off is the classification loss bit for bit, and the modes that
 * cannot carry it say so by name.
 */
class DeviationLossTest {
    private static final Shape IMG = new Shape(1, 6, 6);
    private static final VpSchedule SCHEDULE = VpSchedule.DEFAULT;
    private static final double T_STAR = 0.1;
    private static final double DT = 5e-3; // 20 steps
    private static final int EOT = 2;
    private static final long SEED = 42;
    private static final DeviationLoss ALL = new DeviationLoss(1, 0);
    private static NDManager manager;
    private static LinearClassifier classifier;
    private static DiffusionPurifier purifier;
    private static NDArray x;
    private static NDArray labels;
    private static final long[] IDS = {100, 101, 102};

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        classifier = new LinearClassifier(manager, IMG, 10, 3);
        purifier =
                new DiffusionPurifier(
                        new MlpScoreModel(manager, IMG, 32, 2.0, 5),
                        EulerMaruyama.chain(
                                new ReverseVpSde(SCHEDULE),
                                TimeGrid.of(T_STAR, 1e-5, DT),
                                ForwardAlphaBar.DISCRETE.at(SCHEDULE, T_STAR)));
        x = GradientTesting.images(manager, IDS.length, IMG, 7);
        labels = manager.create(new int[] {0, 4, 7});
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static TargetModel.Evaluation evaluate(GradientMode mode, NDArray at) {
        return new DefendedModel(purifier, classifier, mode, EOT, 0, SEED)
                .lossAndGradient(at, labels, IDS, Objective.CROSS_ENTROPY, Purpose.PURIFY, 0);
    }

    @Test
    void everyModeThatCarriesTheTermAgreesWithBackprop() {
        for (DeviationLoss d : new DeviationLoss[] {ALL, new DeviationLoss(1, 4)}) {
            TargetModel.Evaluation backprop = evaluate(new BackpropGradient().withDeviation(d), x);
            GradientMode[] modes = {
                StoredStatesGradient.exact().withDeviation(d),
                StoredStatesGradient.checkpointedEvery(3).withDeviation(d),
                new SurrogateGradient(20, SurrogateGradient.Noise.SUMMED).withDeviation(d)
            };
            for (GradientMode mode : modes) {
                TargetModel.Evaluation e = evaluate(mode, x);
                assertTrue(
                        maxRelativeDifference(e.gradient(), backprop.gradient()) < 1e-5,
                        mode.name() + " vs backprop, " + d.describe());
                assertTrue(
                        maxRelativeDifference(e.loss(), backprop.loss()) < 1e-5,
                        mode.name() + " loss vs backprop's, " + d.describe());
            }
            // The term changes the gradient: agreement above is not agreement of the CE part alone.
            TargetModel.Evaluation ce = evaluate(StoredStatesGradient.exact(), x);
            double changed = relativeError(backprop.gradient(), ce.gradient());
            assertTrue(
                    changed > 0.05, d.describe() + ": the term moved the gradient by " + changed);
        }
    }

    @Test
    void aCoarserSurrogateCarriesTheTermThroughItsOwnStates() {
        CoarseChain coarse = purifier.chain().coarsened(7);
        List<NoiseKey> keys = new ArrayList<>();
        for (long id : IDS) {
            keys.add(new NoiseKey(SEED, id, Purpose.PURIFY, 0, 0));
        }
        RowNoise noise = new RowNoise(keys);
        RowGradient surrogate =
                new SurrogateGradient(7, SurrogateGradient.Noise.SUMMED)
                        .withDeviation(ALL)
                        .compute(purifier, classifier, Objective.CROSS_ENTROPY, x, labels, noise);
        RowGradient backprop =
                new BackpropGradient()
                        .withDeviation(ALL)
                        .compute(
                                purifier.withChain(coarse.chain()),
                                classifier,
                                Objective.CROSS_ENTROPY,
                                x,
                                labels,
                                new CoarseNoise(noise, coarse));
        assertTrue(maxRelativeDifference(surrogate.gradient(), backprop.gradient()) < 1e-5);
        // Its loss is the defence chain's, term included: exact's on the defence chain.
        RowGradient exact =
                StoredStatesGradient.exact()
                        .withDeviation(ALL)
                        .compute(purifier, classifier, Objective.CROSS_ENTROPY, x, labels, noise);
        assertTrue(maxRelativeDifference(surrogate.loss(), exact.loss()) < 1e-5);
    }

    @Test
    void theGradientMatchesFiniteDifferencesOfTheObjectiveWithTargetsHeld() {
        TargetModel.Evaluation exact = evaluate(StoredStatesGradient.exact().withDeviation(ALL), x);
        // the definition, computed here independently of DeviationTerm, gives the same loss
        assertEquals(GradientTesting.sum(exact.loss()), objective(x, x), 1e-5 * objective(x, x));
        for (int d = 0; d < 3; d++) {
            NDArray v = GradientTesting.direction(manager, x.getShape(), 30 + d);
            double h = 1e-2;
            double fd = (objective(x.add(v.mul(h)), x) - objective(x.sub(v.mul(h)), x)) / (2 * h);
            double analytic = GradientTesting.dot(exact.gradient(), v);
            double err = Math.abs(analytic - fd) / Math.abs(fd);
            assertTrue(err < 1e-2, "direction " + d + ": relative error " + err);
        }
    }

    /**
     * The whole objective at {@code at} with the targets x_k of {@code origin} (held constant, as
     * the gradient holds them), summed over samples and averaged over EOT copies, from the public
     * pieces: CE of the purified logits + sum over k = 1 .. N-1 of mean((y_k - x_k)^2), x_k =
     * sqrt(abar(t_k)) (2 origin - 1) + sqrt(1 - abar(t_k)) eps.
     */
    private static double objective(NDArray at, NDArray origin) {
        int rows = IDS.length * EOT;
        List<NoiseKey> keys = new ArrayList<>();
        for (long id : IDS) {
            for (int m = 0; m < EOT; m++) {
                keys.add(new NoiseKey(SEED, id, Purpose.PURIFY, 0, m));
            }
        }
        RowNoise noise = new RowNoise(keys);
        TimeGrid grid = TimeGrid.of(T_STAR, 1e-5, DT);
        int n = grid.steps();
        double[] term = new double[rows];
        try (NDManager s = manager.newSubManager();
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            float[] eps = noise.draw(s, -1, IMG).toFloatArray();
            float[] u = origin.repeat(0, EOT).toFloatArray();
            int per = (int) IMG.size();
            NDArray y0 = purifier.diffuse(at.repeat(0, EOT), noise);
            NDArray yN =
                    ChainRunner.over(purifier, noise)
                            .observedBy(
                                    (k, y, next) -> {
                                        int j = k + 1;
                                        if (j >= n) {
                                            return;
                                        }
                                        double abar = SCHEDULE.alphaBar(grid.time(j));
                                        float[] state = next.toFloatArray();
                                        for (int r = 0; r < rows; r++) {
                                            double sq = 0;
                                            for (int i = r * per; i < (r + 1) * per; i++) {
                                                double target =
                                                        Math.sqrt(abar) * (2 * u[i] - 1)
                                                                + Math.sqrt(1 - abar) * eps[i];
                                                sq += Math.pow(state[i] - target, 2);
                                            }
                                            term[r] += sq / per;
                                        }
                                    })
                            .run(0, n, y0);
            float[] ce =
                    Objective.CROSS_ENTROPY
                            .perRow(classifier.logits(purifier.output(yN)), labels.repeat(0, EOT))
                            .toFloatArray();
            double total = 0;
            for (int r = 0; r < rows; r++) {
                total += (ce[r] + term[r]) / EOT;
            }
            return total;
        }
    }

    @Test
    void offIsTheClassificationLossBitForBit() {
        DefendedModel model =
                new DefendedModel(purifier, classifier, StoredStatesGradient.exact(), EOT, 0, SEED);
        assertSame(model, model.withDeviation(DeviationLoss.OFF));
        TargetModel.Evaluation plain = evaluate(StoredStatesGradient.exact(), x);
        for (GradientMode off :
                new GradientMode[] {
                    StoredStatesGradient.exact().withDeviation(DeviationLoss.OFF),
                    new DefendedModel(purifier, classifier, StoredStatesGradient.exact(), EOT, 0, 1)
                            .withDeviation(new DeviationLoss(0, 5))
                            .mode()
                }) {
            TargetModel.Evaluation e = evaluate(off, x);
            assertArrayEquals(plain.loss().toFloatArray(), e.loss().toFloatArray());
            assertArrayEquals(plain.gradient().toFloatArray(), e.gradient().toFloatArray());
        }
    }

    @Test
    void theTermVanishesWhenTheChainReproducesTheForwardDiffusion() {
        // Data a point mass at u* = 0.3 in every pixel: its exact noise predictor (a Gaussian of
        // std 0) recovers each row's eps from y_k, and the deterministic DDIM step from abar_k to
        // abar_{k+1} then maps sqrt(abar_k) u* + sqrt(1 - abar_k) eps to exactly the same form at
        // k + 1: every state is the forward diffusion of x = (u* + 1) / 2.
        double mean = 0.3;
        int n = 10;
        double[] times = new double[n + 1];
        List<Double> abars = new ArrayList<>();
        for (int k = 0; k <= n; k++) {
            times[k] = T_STAR - k * (T_STAR - 0.005) / n;
            abars.add(SCHEDULE.alphaBar(times[k]));
        }
        List<ChainStep> steps = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            double c = Math.sqrt(abars.get(k + 1) / abars.get(k));
            double d = Math.sqrt(1 - abars.get(k + 1)) - c * Math.sqrt(1 - abars.get(k));
            steps.add(new ChainStep(times[k], c, d, 0));
        }
        ReverseChain ddim =
                new ReverseChain("ddim point mass", abars.get(0), times[0], steps, null, abars);
        DiffusionPurifier p =
                new DiffusionPurifier(new GaussianScoreModel(SCHEDULE, IMG, mean, 0.0), ddim);
        NDArray onTheMass = manager.full(new Shape(2).addAll(IMG), (float) ((mean + 1) / 2));
        NDArray off = onTheMass.add(0.05);
        List<NoiseKey> keys =
                List.of(
                        new NoiseKey(SEED, 1, Purpose.PURIFY, 0, 0),
                        new NoiseKey(SEED, 2, Purpose.PURIFY, 0, 0));
        float[] zero = term(p, onTheMass, new RowNoise(keys));
        float[] positive = term(p, off, new RowNoise(keys));
        for (int r = 0; r < 2; r++) {
            assertTrue(zero[r] < 1e-10, "row " + r + ": term " + zero[r] + " on the point mass");
            assertTrue(positive[r] > 1e-4, "row " + r + ": term " + positive[r] + " off it");
        }
        // Through a gradient mode: the term adds nothing to the loss and its gradient is zero.
        NDArray lab = manager.create(new int[] {1, 2});
        RowGradient with =
                StoredStatesGradient.exact()
                        .withDeviation(ALL)
                        .compute(
                                p,
                                classifier,
                                Objective.CROSS_ENTROPY,
                                onTheMass,
                                lab,
                                new RowNoise(keys));
        RowGradient without =
                StoredStatesGradient.exact()
                        .compute(
                                p,
                                classifier,
                                Objective.CROSS_ENTROPY,
                                onTheMass,
                                lab,
                                new RowNoise(keys));
        assertTrue(maxRelativeDifference(with.loss(), without.loss()) < 1e-6);
        assertTrue(maxRelativeDifference(with.gradient(), without.gradient()) < 1e-5);
    }

    /** The deviation term of each row, summed over the chain's intermediate states. */
    private static float[] term(DiffusionPurifier p, NDArray at, RowNoise noise) {
        try (NDManager s = manager.newSubManager();
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            DeviationTerm t = DeviationTerm.start(ALL, p, at, noise, s);
            ChainRunner.over(p, noise)
                    .observedBy(t)
                    .run(0, p.chain().length(), p.diffuse(at, noise))
                    .close();
            return t.sum().toFloatArray();
        }
    }

    @Test
    void sampledStatesAreMPerRowUniformKeyedAndScaled() {
        int rows = 400;
        int m = 4;
        int states = purifier.chain().length() - 1; // 19
        List<NoiseKey> keys = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            keys.add(new NoiseKey(SEED, r, Purpose.PURIFY, 3, 0));
        }
        NDArray zeros = manager.zeros(new Shape(rows).addAll(IMG));
        int[] perState = new int[states + 1];
        try (NDManager s = manager.newSubManager()) {
            DeviationTerm t =
                    DeviationTerm.start(
                            new DeviationLoss(2, m), purifier, zeros, new RowNoise(keys), s);
            DeviationTerm again =
                    DeviationTerm.start(
                            new DeviationLoss(2, m), purifier, zeros, new RowNoise(keys), s);
            for (int r = 0; r < rows; r++) {
                int chosen = 0;
                for (int k = 0; k <= states + 1; k++) {
                    float w = t.weightAt(k, r);
                    assertEquals(again.weightAt(k, r), w, "the same key, the same sample");
                    if (w != 0) {
                        assertTrue(k >= 1 && k <= states, "only intermediate states: " + k);
                        assertEquals(2f * states / m, w, 1e-6f, "weight times (N - 1) / m");
                        chosen++;
                        perState[k]++;
                    }
                }
                assertEquals(m, chosen, "row " + r);
            }
        }
        // Each state is taken by a row with probability m / (N - 1): 400 rows, 4 sd either way.
        double mean = (double) rows * m / states;
        double sd = Math.sqrt(rows * ((double) m / states) * (1 - (double) m / states));
        for (int k = 1; k <= states; k++) {
            assertTrue(
                    Math.abs(perState[k] - mean) < 4 * sd,
                    "state " + k + " taken " + perState[k] + " times, expected " + mean);
        }
        assertNotEquals(perState[1], 0);
    }

    @Test
    void chainsKnowTheAlphaBarOfEachState() {
        TimeGrid grid = TimeGrid.of(T_STAR, 1e-5, DT);
        ReverseChain em = purifier.chain();
        assertEquals(ForwardAlphaBar.DISCRETE.at(SCHEDULE, T_STAR), em.stateAlphaBar(0));
        for (int k = 1; k <= grid.steps(); k++) {
            assertEquals(SCHEDULE.alphaBar(grid.time(k)), em.stateAlphaBar(k), 1e-15);
        }
        int n = 30;
        ReverseChain ddpm = DdpmAncestral.chain(SCHEDULE, n);
        for (int k = 0; k < n; k++) {
            assertEquals(SCHEDULE.discreteAlphaBar(n - 1 - k), ddpm.stateAlphaBar(k), 1e-12);
        }
        assertEquals(1.0, ddpm.stateAlphaBar(n));
        CoarseChain respaced = ddpm.coarsened(7);
        for (int k = 0; k <= 7; k++) {
            assertEquals(
                    ddpm.stateAlphaBar(respaced.start(k)),
                    respaced.chain().stateAlphaBar(k),
                    1e-15,
                    "respaced state " + k);
        }
        CoarseChain coarseEm = em.coarsened(7);
        for (int k = 0; k <= 7; k++) {
            assertEquals(
                    em.stateAlphaBar(coarseEm.start(k)),
                    coarseEm.chain().stateAlphaBar(k),
                    1e-15,
                    "coarse state " + k);
        }
    }

    @Test
    void modelsAndChainsThatCannotCarryTheTermSaySoByName() {
        for (GradientMode mode : new GradientMode[] {new AdjointGradient(), new BpdaGradient()}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> mode.withDeviation(ALL));
            assertTrue(e.getMessage().contains("attack.deviation-weight"), e.getMessage());
            assertTrue(
                    e.getMessage().contains("attack.gradient-mode = " + mode.name()),
                    e.getMessage());
            assertSame(mode, mode.withDeviation(DeviationLoss.OFF));
        }
        IllegalArgumentException bare =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new UndefendedModel(classifier).withDeviation(ALL));
        assertTrue(bare.getMessage().contains("attack.deviation-weight"), bare.getMessage());
        ReverseChain withoutAlphaBars =
                new ReverseChain("bare", 0.9, T_STAR, purifier.chain().steps());
        DiffusionPurifier p = purifier.withChain(withoutAlphaBars);
        IllegalArgumentException chain =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                new DefendedModel(
                                                p,
                                                classifier,
                                                StoredStatesGradient.exact(),
                                                EOT,
                                                0,
                                                SEED)
                                        .withDeviation(ALL));
        assertTrue(chain.getMessage().contains("attack.deviation-weight"), chain.getMessage());
        assertTrue(chain.getMessage().contains("bare"), chain.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DeviationLoss(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new DeviationLoss(1, -1));
    }
}
