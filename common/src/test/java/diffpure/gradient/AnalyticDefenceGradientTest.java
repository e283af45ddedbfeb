package diffpure.gradient;

import static diffpure.gradient.GradientTesting.maxRelativeDifference;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.synthetic.AnalyticDefence;
import diffpure.purify.PurifierSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every chain gradient mode runs through the analytic defence's exact mixture score. */
class AnalyticDefenceGradientTest {
    private static NDManager manager;
    private static AnalyticDefence defence;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        defence = AnalyticDefence.standard(manager);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static GradientChecks checks(PurifierSpec spec, int samples, int eot) {
        NDArray x = GradientTesting.images(manager, samples, defence.mixture().imageShape(), 11);
        long[] ids = new long[samples];
        int[] labels = new int[samples];
        for (int i = 0; i < samples; i++) {
            ids[i] = 200 + i;
            labels[i] = i % defence.mixture().classes();
        }
        return new GradientChecks(
                defence.purifier(spec), defence.classifier(), x, manager.create(labels), ids, eot);
    }

    @Test
    void exactEqualsBackpropAndFiniteDifferences() {
        GradientChecks c = checks(PurifierSpec.reference(0.1).withDt(5e-3), 4, 2); // 20 steps
        NDArray backprop = c.evaluate(new BackpropGradient(), 0).gradient();
        NDArray exact = c.evaluate(StoredStatesGradient.exact(), 0).gradient();
        assertTrue(maxRelativeDifference(exact, backprop) < 1e-5, "exact vs backprop");
        // h = 1e-3: the Bayes logits are quadratic with curvature 1 / s^2 = 100, so central
        // differences at the usual 1e-2 carry a curvature error of about the gradient itself
        NDArray wrong = c.evaluate(WrongVariantGradient.MISSING_STATE_SCALE, 0).gradient();
        for (int d = 0; d < 3; d++) {
            NDArray v = GradientTesting.direction(manager, c.x.getShape(), 31 + d);
            double err = c.finiteDifferenceError(exact, v, 1e-3);
            assertTrue(err < 1e-2, "direction " + d + ": exact relative error " + err);
            double wrongErr = c.finiteDifferenceError(wrong, v, 1e-3);
            assertTrue(wrongErr > 1e-2, "direction " + d + ": a wrong variant passed: " + wrongErr);
        }
    }
}
