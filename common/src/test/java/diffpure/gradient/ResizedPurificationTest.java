package diffpure.gradient;

import static diffpure.gradient.GradientTesting.cosine;
import static diffpure.gradient.GradientTesting.maxRelativeDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import diffpure.purify.BilinearResize;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.InputResize;
import diffpure.purify.PurifierSpec;
import diffpure.testing.DemoFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ImageNet path with stand-ins at the real shapes (tools/test_fixtures.py): a 3x256x256 eps
 * model and a 3x224x224, 1000-class classifier, paired by a bilinear resize on each side of the
 * chain. Every gradient mode returns the gradient with respect to the 224 input.
 */
class ResizedPurificationTest {
    private static NDManager manager;
    private static PtScoreModel scoreModel;
    private static PtClassifier classifier;

    private static Path fixture(String name) {
        return DemoFiles.repoRoot().resolve("common/src/test/resources/fixtures/" + name);
    }

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        scoreModel = PtScoreModel.load(fixture("standin-eps-3x256.pt"), Device.cpu());
        classifier = PtClassifier.load(fixture("standin-classifier-3x224-c1000.pt"), Device.cpu());
    }

    @AfterAll
    static void close() {
        scoreModel.close();
        classifier.close();
        manager.close();
    }

    /** t* = 0.15 (the paper's ImageNet setting) on a coarse grid: 3 steps. */
    private static DiffusionPurifier chain() {
        return PurifierSpec.reference(0.15)
                .withDt(0.05)
                .build(scoreModel, scoreModel.manifest().schedule());
    }

    private static DiffusionPurifier resized() {
        return InputResize.BILINEAR.adapt(chain(), classifier.imageShape(), classifier.describe());
    }

    private static GradientChecks checks() {
        int n = 2;
        return new GradientChecks(
                resized(),
                classifier,
                GradientTesting.images(manager, n, classifier.imageShape(), 5),
                manager.create(new int[] {3, 917}),
                new long[] {11, 12},
                1);
    }

    @Test
    void pairingModelsOfDifferentSizesNeedsTheResizeKey() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                InputResize.NONE.adapt(
                                        chain(), classifier.imageShape(), classifier.describe()));
        assertTrue(e.getMessage().contains("takes (3, 224, 224) images"), e.getMessage());
        assertTrue(e.getMessage().contains("(3, 256, 256)"), e.getMessage());
        assertTrue(e.getMessage().contains("set purify.resize = bilinear"), e.getMessage());
        IllegalArgumentException direct =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                new DefendedModel(
                                        chain(),
                                        classifier,
                                        StoredStatesGradient.exact(),
                                        1,
                                        0,
                                        1));
        assertTrue(direct.getMessage().contains("purify.resize = bilinear"), direct.getMessage());
        // Same shapes need no resize: adapt hands the purifier back unchanged.
        DiffusionPurifier same = chain();
        assertTrue(InputResize.NONE.adapt(same, scoreModel.imageShape(), "x") == same);
        assertTrue(InputResize.BILINEAR.adapt(same, scoreModel.imageShape(), "x") == same);
    }

    @Test
    void purificationResizesUpRunsTheChainAtTheModelSizeAndResizesBack() {
        DiffusionPurifier p = resized();
        assertEquals(new Shape(3, 224, 224), p.inputShape());
        assertEquals(new Shape(3, 256, 256), p.imageShape());
        assertTrue(p.describe().contains("bilinear resize (3, 224, 224) <-> (3, 256, 256)"));
        NDArray x = GradientTesting.images(manager, 2, classifier.imageShape(), 9);
        RowNoise noise =
                new RowNoise(
                        List.of(
                                new NoiseKey(1, 11, Purpose.PURIFY, 0, 0),
                                new NoiseKey(1, 12, Purpose.PURIFY, 0, 0)));
        NDArray out = p.purify(x, noise);
        assertEquals(new Shape(2, 3, 224, 224), out.getShape());
        for (float v : out.toFloatArray()) {
            assertTrue(Float.isFinite(v));
        }
        // The same as resizing by hand around the unresized chain with the same noise.
        BilinearResize up = BilinearResize.of(p.inputShape(), p.imageShape());
        BilinearResize down = BilinearResize.of(p.imageShape(), p.inputShape());
        NDArray byHand = down.apply(chain().purify(up.apply(x), noise));
        assertTrue(maxRelativeDifference(out, byHand) < 1e-6);
        NDArray logits = classifier.logits(out);
        assertEquals(new Shape(2, 1000), logits.getShape());
    }

    /**
     * Central differences (h = 1e-2) along directions built from the exact gradient itself: all of
     * it, its part on image 0, on one channel of image 1, and on the top rows. Random directions in
     * 2 x 3 x 224 x 224 dimensions see a directional derivative too small for float32 differences;
     * these see large ones, and a wrong part of the gradient (for example the resizes left out of
     * the backward pass) would show in one of them.
     */
    @Test
    void exactGradientThroughBothResizesMatchesFiniteDifferences() {
        GradientChecks c = checks();
        NDArray exact = c.evaluate(StoredStatesGradient.exact(), 0).gradient();
        assertEquals(new Shape(2, 3, 224, 224), exact.getShape());
        float[] g = exact.toFloatArray();
        int per = 3 * 224 * 224;
        int plane = 224 * 224;
        List<java.util.function.IntPredicate> parts =
                List.of(
                        i -> true,
                        i -> i < per,
                        i -> i >= per + 2 * plane,
                        i -> (i % plane) < 60 * 224);
        for (int d = 0; d < parts.size(); d++) {
            float[] v = new float[g.length];
            double norm = 0;
            for (int i = 0; i < g.length; i++) {
                if (parts.get(d).test(i)) {
                    v[i] = g[i];
                    norm += (double) g[i] * g[i];
                }
            }
            for (int i = 0; i < v.length; i++) {
                v[i] /= (float) Math.sqrt(norm);
            }
            NDArray dir = manager.create(v, exact.getShape());
            double err = c.finiteDifferenceError(exact, dir, 1e-2);
            assertTrue(err < 1e-2, "direction " + d + ": relative error " + err);
        }
        // The wrong variant (state coefficient dropped in the backward sweep) is caught the same
        // way.
        NDArray wrong = c.evaluate(WrongVariantGradient.MISSING_STATE_SCALE, 0).gradient();
        NDArray along = wrong.div(wrong.norm());
        double wrongErr = c.finiteDifferenceError(wrong, along, 1e-2);
        assertTrue(wrongErr > 1e-2, "the wrong variant passed with error " + wrongErr);
    }

    /**
     * Every mode returns a gradient of the 224 input: exact and checkpointed agree to float
     * precision, the adjoint closely on this smooth stand-in, BPDA (the classifier's gradient at
     * the purified image) differs.
     */
    @Test
    void everyGradientModeReturnsTheGradientOfThe224Input() {
        GradientChecks c = checks();
        NDArray exact = c.evaluate(StoredStatesGradient.exact(), 0).gradient();
        NDArray checkpointed = c.evaluate(StoredStatesGradient.checkpointed(), 0).gradient();
        NDArray adjoint = c.evaluate(new AdjointGradient(), 0).gradient();
        NDArray bpda = c.evaluate(new BpdaGradient(), 0).gradient();
        for (NDArray g : List.of(exact, checkpointed, adjoint, bpda)) {
            assertEquals(new Shape(2, 3, 224, 224), g.getShape());
            assertTrue(GradientTesting.dot(g, g) > 0);
        }
        assertTrue(
                maxRelativeDifference(checkpointed, exact) < 1e-4,
                "checkpointed vs exact " + maxRelativeDifference(checkpointed, exact));
        double adjointCosine = cosine(adjoint, exact);
        assertTrue(adjointCosine > 0.99, "adjoint cosine " + adjointCosine);
        double bpdaCosine = cosine(bpda, exact);
        assertTrue(bpdaCosine < 0.99, "bpda cosine " + bpdaCosine);
    }
}
