package diffpure.gradient;

import static diffpure.gradient.GradientTesting.maxRelativeDifference;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import diffpure.testing.DemoFiles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * backprop at the paper's 256x256 image size, where its gradient came back exactly zero in about 1
 * call in 20 (a garbage collection between forward and backward freed constants its graph had
 * saved; {@link GradientAcrossGcTest} forces that case): every call must agree with exact.
 */
class BackpropAtScaleTest {
    @Test
    void backpropEqualsExactOnEveryCallAt256() {
        Path root = DemoFiles.repoRoot().resolve("common/src/test/resources/fixtures/");
        try (NDManager m = NDManager.newBaseManager();
                PtScoreModel scoreModel =
                        PtScoreModel.load(root.resolve("standin-eps-3x256.pt"), Device.cpu());
                PtClassifier clf =
                        PtClassifier.load(
                                root.resolve("standin-classifier-3x256-c2.pt"), Device.cpu())) {
            DiffusionPurifier purifier =
                    PurifierSpec.reference(0.15)
                            .withDt(0.05)
                            .build(scoreModel, scoreModel.manifest().schedule());
            GradientChecks c =
                    new GradientChecks(
                            purifier,
                            clf,
                            GradientTesting.images(m, 2, clf.imageShape(), 5),
                            m.create(new int[] {0, 1}),
                            new long[] {11, 12},
                            1);
            NDArray exact = c.evaluate(StoredStatesGradient.exact(), 0).gradient();
            assertTrue(maxAbs(exact) > 0, "the reference is not zero");
            for (int call = 0; call < 12; call++) {
                NDArray g = c.evaluate(new BackpropGradient(), 0).gradient();
                double d = maxRelativeDifference(g, exact);
                assertTrue(d < 1e-3, "call " + call + ": backprop vs exact " + d);
            }
        }
    }

    private static double maxAbs(NDArray a) {
        double m = 0;
        for (float v : a.toFloatArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
