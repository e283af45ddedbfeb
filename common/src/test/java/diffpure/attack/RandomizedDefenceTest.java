package diffpure.attack;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.TargetModel;
import diffpure.gradient.UndefendedModel;
import diffpure.noise.Purpose;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Attacks on a randomized defence whose single draw is fooled with probability 0.3 whatever the
 * input ({@link FlippingModel}, EOT 4): a lone fooled draw must neither stop an attack, nor choose
 * its returned image, nor hand a sample on in a composition.
 */
class RandomizedDefenceTest {
    private static final double P = 0.2;
    private static final int EOT = 4;
    private static final int VOTES = 15;
    private static NDManager manager;
    private static UndefendedModel linear;
    private static FlippingModel flipping;
    private static NDArray x;
    private static NDArray y;
    private static long[] ids;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        linear = Fixtures.linear(manager, 10);
        x = Fixtures.images(manager, 16, new Shape(1, 8, 8), 3);
        y = Fixtures.predictedLabels(linear.classifier(), x);
        ids = Fixtures.ids(16);
        long[] lab = y.toLongArray();
        Map<Long, Long> labels = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            labels.put(ids[i], lab[i]);
        }
        flipping = new FlippingModel(linear, P, EOT, 21, labels);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void theFlippingModelFoolsASingleDrawWithItsProbability() {
        int flipped = 0;
        int n = 4000;
        for (int i = 0; i < n; i++) {
            flipped += flipping.flipped(7, Purpose.PURIFY, i / 4, i % 4) ? 1 : 0;
        }
        double rate = flipped / (double) n;
        // Binomial(4000, 0.3): standard deviation 0.0072.
        assertTrue(Math.abs(rate - P) < 0.03, "flip rate " + rate);
    }

    @Test
    void loneFooledDrawsAreNotASuccess() {
        // eps 0: no attack can change the prediction, so every success would come from a flip. A
        // success needs all 4 copies of one evaluation fooled (0.3^4 = 0.8% per evaluation).
        ThreatModel none = ThreatModel.linf(0);
        for (Attack a :
                List.of(
                        Apgd.ce(none).withIterations(10),
                        Pgd.signEpsOver4(none, 10),
                        Square.standard(none).withIterations(10))) {
            AttackResult r = a.run(flipping, x, y, ids, AttackContext.of(3));
            long successes = r.traces().stream().filter(AttackTrace::success).count();
            assertTrue(successes <= 4, a.name() + ": " + successes + " of 16 'broken' at eps 0");
            long fooled = r.traces().stream().filter(AttackTrace::anyEvaluationFooled).count();
            assertTrue(fooled >= 12, a.name() + ": lone fooled draws are still counted");
        }
    }

    /**
     * The gradient attacks follow the same iterates on both models (the flips change neither loss
     * nor gradient), so only the success rule and the choice of the returned image differ. Square
     * is left out: its margins average the copies, which the flips distort.
     */
    @Test
    void aRandomizedDefenceIsNotMoreRobustThanItsDeterministicCore() {
        for (double e : new double[] {0.08, 0.12}) {
            ThreatModel t = ThreatModel.linf(e);
            for (Attack a :
                    List.of(
                            new Composition(
                                    "weak-then-strong",
                                    List.of(
                                            Apgd.ce(t).withIterations(2),
                                            Apgd.ce(t).withIterations(20))),
                            Apgd.dlr(t).withIterations(10).withRestarts(3))) {
                double core = majorityRobust(linear, a.run(linear, x, y, ids, AttackContext.of(5)));
                AttackResult rr = a.run(flipping, x, y, ids, AttackContext.of(5));
                double randomized = majorityRobust(flipping, rr);
                System.out.println(
                        e + " " + a.name() + " core " + core + " randomized " + randomized);
                // Flips never help the classifier, so the attack on the randomized model, judged by
                // majority votes, must do at least as well as on the core (up to one sample).
                assertTrue(
                        randomized <= core + 1.0 / 16,
                        a.name()
                                + ": majority robust "
                                + randomized
                                + " against the core's "
                                + core);
            }
        }
    }

    /** Majority-of-15 robust accuracy of the returned images on fresh votes. */
    private static double majorityRobust(TargetModel model, AttackResult r) {
        long[] p =
                model.logits(r.adversarial(), ids, Purpose.VOTE_ADVERSARIAL, 0, VOTES)
                        .argMax(2)
                        .toLongArray();
        long[] lab = y.toLongArray();
        int robust = 0;
        for (int s = 0; s < 16; s++) {
            int correct = 0;
            for (int m = 0; m < VOTES; m++) {
                correct += p[s * VOTES + m] == lab[s] ? 1 : 0;
            }
            robust += 2 * correct > VOTES ? 1 : 0;
        }
        return robust / 16.0;
    }
}
