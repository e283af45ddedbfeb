package diffpure.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.attack.Losses;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import diffpure.testing.Collect;
import diffpure.testing.DemoFiles;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A garbage collection between a gradient's forward and backward pass changes nothing. DJL's {@code
 * x.mul(Number)} puts its constant in a Java direct buffer that the collector frees, while a graph
 * that saved it reads it again in backward; backprop returned gradients that were exactly zero
 * whenever a collection happened to fall between the passes (1 call in 20 at 3x256x256, where each
 * call's noise arrays fill the young generation). Here the collection is forced: the objective runs
 * last in every forward, and this one collects before handing its loss to backward.
 */
class GradientAcrossGcTest {
    private static final Path FIXTURES =
            DemoFiles.repoRoot().resolve("common/src/test/resources/fixtures/");
    private static NDManager manager;
    private static PtScoreModel scoreModel;
    private static PtClassifier classifier;
    private static DiffusionPurifier purifier;
    private static NDArray x;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        scoreModel = PtScoreModel.load(FIXTURES.resolve("standin-eps-3x32.pt"), Device.cpu());
        classifier =
                PtClassifier.load(FIXTURES.resolve("standin-classifier-3x32-c10.pt"), Device.cpu());
        purifier =
                PurifierSpec.reference(0.1)
                        .withDt(0.05)
                        .build(scoreModel, scoreModel.manifest().schedule());
        x = GradientTesting.images(manager, 2, classifier.imageShape(), 5);
    }

    @AfterAll
    static void close() {
        scoreModel.close();
        classifier.close();
        manager.close();
    }

    /** The objective, then a full collection with its cleaners, before backward starts. */
    private static Objective collectingAfter(Objective objective) {
        return (logits, labels) -> {
            NDArray loss = objective.perRow(logits, labels);
            Collect.garbageAndCleaners();
            return loss;
        };
    }

    private static NDArray gradient(GradientMode mode, Objective objective, NDArray labels) {
        DefendedModel model = new DefendedModel(purifier, classifier, mode, 1, 0, 42);
        return model.lossAndGradient(x, labels, new long[] {11, 12}, objective, Purpose.PURIFY, 0)
                .gradient();
    }

    private static void assertSameAcrossGc(String what, GradientMode mode, Objective o, NDArray y) {
        float[] plain = gradient(mode, o, y).toFloatArray();
        float[] collected = gradient(mode, collectingAfter(o), y).toFloatArray();
        int perRow = plain.length / 2;
        for (int r = 0; r < 2; r++) {
            boolean nonZero = false;
            for (int i = r * perRow; i < (r + 1) * perRow; i++) {
                nonZero |= plain[i] != 0;
            }
            assertTrue(nonZero, what + ": row " + r + " of the reference gradient is all zero");
        }
        assertArrayEquals(plain, collected, what + ": a collection before backward changed it");
    }

    @Test
    void backpropThroughTheChainIsUnchangedByACollectionBeforeBackward() {
        NDArray labels = manager.create(new int[] {3, 7});
        assertSameAcrossGc(
                "backprop, cross-entropy", new BackpropGradient(), Objective.CROSS_ENTROPY, labels);
    }

    /** The chain has 2 steps; surrogate walks 1 (the other modes ignore the options). */
    private static final GradientOptions OPTIONS =
            new GradientOptions(1, SurrogateGradient.Noise.SUMMED);

    @Test
    void everyModeAndLossIsUnchangedByACollectionBeforeBackward() {
        NDArray labels = manager.create(new int[] {3, 7});
        NDArray encoded =
                Losses.encode(manager, new long[] {3, 7}, new long[] {5, 1}, classifier.classes());
        Map<String, Objective> plainLabels =
                Map.of(
                        "cross-entropy",
                        Objective.CROSS_ENTROPY,
                        "dlr",
                        Losses.dlr(),
                        "cw margin",
                        Losses.cwMargin());
        Map<String, Objective> encodedLabels =
                Map.of(
                        "targeted dlr",
                        Losses.targetedDlr(),
                        "target margin",
                        Losses.targetMargin());
        for (String mode : GradientModes.NAMES) {
            for (Map.Entry<String, Objective> o : plainLabels.entrySet()) {
                assertSameAcrossGc(
                        mode + ", " + o.getKey(),
                        GradientModes.byName(mode, OPTIONS),
                        o.getValue(),
                        labels);
            }
            for (Map.Entry<String, Objective> o : encodedLabels.entrySet()) {
                assertSameAcrossGc(
                        mode + ", " + o.getKey(),
                        GradientModes.byName(mode, OPTIONS),
                        o.getValue(),
                        encoded);
            }
        }
    }
}
