package diffpure.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.DeviationLoss;
import diffpure.gradient.StoredStatesGradient;
import diffpure.gradient.TargetModel;
import diffpure.gradient.UndefendedModel;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.model.synthetic.MlpScoreModel;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.sde.VpSchedule;
import diffpure.solver.EulerMaruyama;
import diffpure.torch.PtAutograd;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The two published attacks that need no new gradient machinery: DiffAttack (APGD-CE then APGD-DLR
 * with the deviated-reconstruction term) and ADDT's re-evaluated AutoAttack.
 */
class PublishedAttacksTest {
    private static final Shape IMG = new Shape(1, 6, 6);
    private static NDManager manager;
    private static DefendedModel defended;
    private static NDArray x;
    private static NDArray y;
    private static long[] ids;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        VpSchedule schedule = VpSchedule.DEFAULT;
        LinearClassifier classifier = new LinearClassifier(manager, IMG, 10, 3);
        DiffusionPurifier purifier =
                new DiffusionPurifier(
                        new MlpScoreModel(manager, IMG, 16, 2.0, 5),
                        EulerMaruyama.chain(
                                new ReverseVpSde(schedule),
                                TimeGrid.of(0.1, 1e-5, 1e-2),
                                ForwardAlphaBar.DISCRETE.at(schedule, 0.1)));
        defended = new DefendedModel(purifier, classifier, StoredStatesGradient.exact(), 2, 0, 11);
        x = Fixtures.images(manager, 6, IMG, 5);
        y = Fixtures.predictedLabels(classifier, x);
        ids = Fixtures.ids(6);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static AttackResult run(Attack a) {
        return a.run(defended, x, y, ids, AttackContext.of(9));
    }

    @Test
    void diffAttackWithWeightZeroIsAutoAttackRandBitForBit() {
        ThreatModel t = ThreatModel.linf(8 / 255.0);
        AttackResult rand = run(Composition.autoAttackRand(t).withIterations(4));
        AttackResult off =
                run(Composition.diffAttack(t, new DeviationLoss(0, 3)).withIterations(4));
        assertArrayEquals(rand.adversarial().toFloatArray(), off.adversarial().toFloatArray());
        assertEquals(rand.traces(), off.traces());
        // With weight 1 the same schedule climbs another objective and ends elsewhere.
        AttackResult on = run(Composition.diffAttack(t, new DeviationLoss(1, 0)).withIterations(4));
        float[] a = rand.adversarial().toFloatArray();
        float[] b = on.adversarial().toFloatArray();
        double moved = 0;
        for (int i = 0; i < a.length; i++) {
            moved = Math.max(moved, Math.abs(a[i] - b[i]));
        }
        assertTrue(moved > 1e-3, "weight 1 moved the adversarial images by " + moved);
        assertTrue(on.traces().get(0).attack().startsWith("diffattack-"));
    }

    @Test
    void diffAttackNeedsAChainAndAModeThatCarriesItsGradient() {
        Attack a = Composition.diffAttack(ThreatModel.linf(0.03), new DeviationLoss(1, 0));
        UndefendedModel bare = new UndefendedModel(defended.classifier());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> a.requireCompatible(bare));
        assertTrue(e.getMessage().contains("attack.deviation-weight"), e.getMessage());
        TargetModel adjoint =
                new DefendedModel(
                        defended.purifier(),
                        defended.classifier(),
                        new diffpure.gradient.AdjointGradient(),
                        2,
                        0,
                        11);
        IllegalArgumentException m =
                assertThrows(IllegalArgumentException.class, () -> a.requireCompatible(adjoint));
        assertTrue(m.getMessage().contains("attack.gradient-mode = adjoint"), m.getMessage());
    }

    /**
     * eps = 0 on a coin-flip defence: every candidate image is the clean one, each classified
     * correctly with probability 1/2 per draw, so a sample's re-evaluated share is the running
     * minimum of Binomial(R, 1/2) / R over the clean image and the two members (a member skips a
     * sample already at 0, which leaves the minimum at 0). The mean share must match its exact
     * expectation; fresh votes of the same images stay at 1/2, above it: the selection bias.
     */
    @Test
    void reEvaluatedFigureIsTheExpectedRunningMinimumOnACoinFlipDefence() {
        reEvaluatedOnACoinFlip(20);
        // R = 1: half the samples are at 0 after the clean draw, so the skip rule is exercised
        reEvaluatedOnACoinFlip(1);
    }

    private static void reEvaluatedOnACoinFlip(int r) {
        int n = 1000;
        UndefendedModel linear = Fixtures.linear(manager, 10);
        NDArray xs = Fixtures.images(manager, n, new Shape(1, 8, 8), 17);
        NDArray ys = Fixtures.predictedLabels(linear.classifier(), xs);
        long[] sampleIds = Fixtures.ids(n);
        long[] lab = ys.toLongArray();
        Map<Long, Long> labels = new HashMap<>();
        for (int i = 0; i < n; i++) {
            labels.put(sampleIds[i], lab[i]);
        }
        FlippingModel coin = new FlippingModel(linear, 0.5, 2, 23, labels);
        Composition reEvaluated =
                Composition.autoAttackRand(ThreatModel.linf(0))
                        .withIterations(3)
                        .withReEvaluations(r);
        AttackResult result = reEvaluated.run(coin, xs, ys, sampleIds, AttackContext.of(4));
        double[] shares = result.reEvaluatedShares();
        assertEquals(n, shares.length);
        double mean = 0;
        for (double s : shares) {
            mean += s / n;
        }
        // E[min] = sum_k P(min >= k) = sum_k P(B >= k)^3; E[min^2] = sum_k (2k - 1) P(B >= k)^3.
        double[] tail = new double[r + 2];
        for (int k = r; k >= 0; k--) {
            tail[k] = tail[k + 1] + binomialHalf(r, k);
        }
        double first = 0;
        double second = 0;
        for (int k = 1; k <= r; k++) {
            double p = Math.pow(tail[k], 3);
            first += p;
            second += (2 * k - 1) * p;
        }
        double expected = first / r;
        double se = Math.sqrt((second - first * first) / (r * (double) r) / n);
        assertTrue(
                Math.abs(mean - expected) < 3 * se,
                "mean share " + mean + ", expected " + expected + " +- " + se);
        // Samples at 0 after the clean image or the first member are not attacked again: each
        // re-evaluation costs R classifications, and the trace counts them.
        int skipped = 0;
        for (int s = 0; s < n; s++) {
            long reEvaluations = result.trace(s).forwards() / r;
            assertTrue(reEvaluations >= 1 && reEvaluations <= 3, "sample " + s);
            if (reEvaluations < 3) {
                assertEquals(0.0, shares[s], "sample " + s + " skipped with share > 0");
                assertEquals(reEvaluations == 1 ? 0 : 1, result.trace(s).gradients() > 0 ? 1 : 0);
                skipped++;
            }
        }
        if (r == 1) {
            // P(clean share 0) + P(then the first member's 0) = 3/4 of the samples
            assertTrue(skipped > n / 2, skipped + " of " + n + " samples skipped");
        }
        // Fresh votes of the returned images: Binomial(K, 1/2) / K per sample, mean 1/2.
        int k = 10;
        double fresh;
        try (PtAutograd.Mode off = PtAutograd.disabled()) {
            long[] pred =
                    coin.logits(result.adversarial(), sampleIds, Purpose.VOTE_ADVERSARIAL, 0, k)
                            .argMax(2)
                            .toLongArray();
            int correct = 0;
            for (int i = 0; i < pred.length; i++) {
                correct += pred[i] == lab[i / k] ? 1 : 0;
            }
            fresh = correct / (double) pred.length;
        }
        double freshSe = Math.sqrt(0.25 / (n * k));
        assertTrue(Math.abs(fresh - 0.5) < 3 * freshSe, "fresh votes " + fresh);
        assertTrue(mean < fresh - 3 * (se + freshSe), "the re-evaluated figure is biased low");
        System.out.printf(
                java.util.Locale.ROOT,
                "R = %d: mean re-evaluated share %.4f, expected %.4f (se %.4f); fresh %d votes"
                        + " %.4f%n",
                r,
                mean,
                expected,
                se,
                k,
                fresh);
    }

    /** C(n, k) / 2^n. */
    private static double binomialHalf(int n, int k) {
        double logC = 0;
        for (int i = 1; i <= k; i++) {
            logC += Math.log(n - k + i) - Math.log(i);
        }
        return Math.exp(logC - n * Math.log(2));
    }

    @Test
    void withoutReEvaluationsTheCompositionIsUnchanged() {
        ThreatModel t = ThreatModel.linf(8 / 255.0);
        AttackResult plain = run(Composition.autoAttackRand(t).withIterations(3));
        AttackResult zero =
                run(Composition.autoAttackRand(t).withIterations(3).withReEvaluations(0));
        assertArrayEquals(plain.adversarial().toFloatArray(), zero.adversarial().toFloatArray());
        assertEquals(plain.traces(), zero.traces());
        assertEquals(0, zero.reEvaluatedShares().length);
        assertTrue(!Composition.autoAttackRand(t).withReEvaluations(5).recordsCheckpoints());
    }
}
