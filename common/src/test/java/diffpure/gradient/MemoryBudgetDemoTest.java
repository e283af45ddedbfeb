package diffpure.gradient;

import static diffpure.gradient.GradientTesting.maxRelativeDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.config.ConfigError;
import diffpure.config.ExperimentConfig;
import diffpure.experiment.Experiments;
import diffpure.model.ModelManifest;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.solver.EulerMaruyama;
import diffpure.testing.DemoFiles;
import diffpure.torch.NativeHeap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * runtime.memory-budget and attack.gradient-mode = auto on the demo models: the measured graph
 * bytes against BENCHMARKS.md, the split a budget gives does not change results, and auto's
 * choices.
 */
class MemoryBudgetDemoTest {
    private static final double MIB = 1 << 20;
    private static NDManager manager;
    private static PtScoreModel scoreModel;
    private static PtClassifier classifier;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager(Device.cpu());
        scoreModel = PtScoreModel.load(DemoFiles.scoreModel(), Device.cpu());
        classifier = PtClassifier.load(DemoFiles.classifier(), Device.cpu());
    }

    @AfterAll
    static void close() {
        scoreModel.close();
        classifier.close();
        manager.close();
    }

    @Test
    void measuredGraphBytesOfTheDemoUnetMatchBenchmarksAndTheManifest() {
        Assumptions.assumeTrue(NativeHeap.available(), "glibc mallinfo2 not available");
        long unet = GraphBytes.of(scoreModel, manager);
        long cnn = GraphBytes.of(classifier, manager);
        // BENCHMARKS.md, memory: backprop grows ~12.5 MiB per step at 4 rows, ~3.1 MiB per
        // image-step, of which one 28x28 state is 3 KiB: the U-Net's graph is ~3 MiB per image.
        assertTrue(unet > 1.5 * MIB && unet < 6 * MIB, "U-Net graph bytes per image " + unet);
        assertTrue(cnn > 0 && cnn < unet, "CNN graph bytes per image " + cnn);
        // The figures the manifests carry are this measurement's (within the allocator's noise).
        long recordedUnet = scoreModel.manifest().graphBytesPerImage();
        long recordedCnn = classifier.manifest().graphBytesPerImage();
        assertTrue(
                Math.abs(recordedUnet - unet) < 0.2 * unet,
                "eps.json records " + recordedUnet + ", measured " + unet);
        assertTrue(
                Math.abs(recordedCnn - cnn) < 0.2 * cnn,
                "classifier.json records " + recordedCnn + ", measured " + cnn);
    }

    @Test
    void aSmallerBudgetSplitsTheCallButChangesNoResult() {
        DiffusionPurifier purifier = purifier(0.1, 5e-3);
        assertEquals(20, purifier.chain().length());
        MemoryModel memory =
                new MemoryModel(
                        20,
                        784,
                        scoreModel.manifest().graphBytesPerImage(),
                        classifier.manifest().graphBytesPerImage());
        int images = 2;
        int eot = 3;
        float[] pixels = new float[images * 784];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (i * 37 % 101) / 100f;
        }
        long[] ids = {11, 12};
        NDArray x = manager.create(pixels, new ai.djl.ndarray.types.Shape(images, 1, 28, 28));
        NDArray labels = manager.create(new int[] {3, 7});
        List<TargetModel.Evaluation> grads = new ArrayList<>();
        List<NDArray> logits = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        for (long budget :
                new long[] {
                    images * eot * memory.bytesPerRow("exact"), 2 * memory.bytesPerRow("exact")
                }) {
            GradientPlan plan =
                    GradientPlan.resolve(
                            "exact", new GradientPlan.Limits(budget, 0, 8), images * eot, memory);
            rows.add(plan.gradientRows());
            DefendedModel model = DefendedModel.of(purifier, classifier, plan, eot, 9);
            grads.add(
                    model.lossAndGradient(
                            x, labels, ids, Objective.CROSS_ENTROPY, Purpose.PURIFY, 0));
            logits.add(model.logits(x, ids, Purpose.VOTE_CLEAN, 0, eot));
        }
        assertEquals(List.of(images * eot, 2), rows, "rows per gradient call");
        double g = maxRelativeDifference(grads.get(1).gradient(), grads.get(0).gradient());
        assertTrue(g < 1e-4, "gradient, whole vs split: " + g);
        double loss = maxRelativeDifference(grads.get(1).loss(), grads.get(0).loss());
        assertTrue(loss < 1e-5, "loss, whole vs split: " + loss);
        // The same noise per row whatever the split: other noise would move the logits by far
        // more than rounding (a different draw index, checked against the same bound).
        double same = maxRelativeDifference(logits.get(1), logits.get(0));
        assertTrue(same < 1e-5, "logits, whole vs split: " + same);
        DefendedModel whole =
                DefendedModel.of(purifier, classifier, plan(memory, images * eot), eot, 9);
        double other =
                maxRelativeDifference(
                        whole.logits(x, ids, Purpose.VOTE_CLEAN, 1, eot), logits.get(0));
        assertTrue(other > 1e-3, "another draw differs: " + other);
        assertArrayEquals(
                grads.get(0).logits().argMax(2).toLongArray(),
                grads.get(1).logits().argMax(2).toLongArray());
    }

    private static DiffusionPurifier purifier(double tStar, double dt) {
        double abar = ForwardAlphaBar.DISCRETE.at(scoreModel.manifest().schedule(), tStar);
        return new DiffusionPurifier(
                scoreModel,
                EulerMaruyama.chain(
                        new ReverseVpSde(scoreModel.manifest().schedule()),
                        TimeGrid.of(tStar, 1e-5, dt),
                        abar));
    }

    private static GradientPlan plan(MemoryModel memory, int rows) {
        return GradientPlan.resolve(
                "exact",
                new GradientPlan.Limits(rows * memory.bytesPerRow("exact"), 0, 8),
                rows,
                memory);
    }

    @Test
    void autoOnTheDemoModelsPicksBackpropThenExactThenCheckpointedAndNamesTheBudget() {
        ModelManifest scoreModelManifest = scoreModel.manifest();
        ModelManifest clfManifest = classifier.manifest();
        // 100 steps (t* = 0.1, dt = 1e-3), 2 images x EOT 2 per call; backprop needs ~300 MiB a row
        assertEquals(
                "backprop",
                GradientPlan.forRun(auto("2g"), scoreModelManifest, clfManifest).mode());
        GradientPlan exact = GradientPlan.forRun(auto("64m"), scoreModelManifest, clfManifest);
        assertEquals("exact", exact.mode());
        assertTrue(exact.gradientRows() >= 4, "rows " + exact.gradientRows());
        MemoryModel m =
                new MemoryModel(
                        100,
                        784,
                        scoreModelManifest.graphBytesPerImage(),
                        clfManifest.graphBytesPerImage());
        GradientPlan cp =
                GradientPlan.forRun(
                        auto(Long.toString(m.bytesPerRow("exact") - 1)),
                        scoreModelManifest,
                        clfManifest);
        // a forward without a graph keeps half of what a back-propagated graph needs
        assertEquals(new GradientPlan("auto", "checkpointed", 1, 2), cp);
        ConfigError none =
                assertThrows(
                        ConfigError.class,
                        () -> GradientPlan.forRun(auto("1m"), scoreModelManifest, clfManifest));
        assertTrue(
                none.getMessage().startsWith("runtime.memory-budget = 1.0 MiB (1048576 bytes)")
                        && none.getMessage()
                                .contains("(" + m.bytesPerRow("checkpointed") + " bytes)"),
                none.getMessage());
        ModelManifest unmeasured = clfManifest.withGraphBytesPerImage(0);
        ConfigError missing =
                assertThrows(
                        ConfigError.class,
                        () -> GradientPlan.forRun(auto("2g"), scoreModelManifest, unmeasured));
        assertTrue(
                missing.getMessage().contains("classifier.json has no graph-bytes-per-image")
                        && missing.getMessage().contains("model graph-bytes --write classifier.pt"),
                missing.getMessage());
    }

    private static ExperimentConfig auto(String budget) {
        return Experiments.load(
                        null,
                        List.of(
                                "attack.gradient-mode=auto",
                                "runtime.memory-budget=" + budget,
                                "run.batch-samples=2",
                                "attack.eot=2"),
                        Map.of(),
                        new Properties())
                .config();
    }
}
