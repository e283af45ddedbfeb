package diffpure.gradient;

import static diffpure.gradient.GradientTesting.cosine;
import static diffpure.gradient.GradientTesting.maxRelativeDifference;
import static diffpure.gradient.GradientTesting.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import diffpure.data.IdxDataset;
import diffpure.data.Sample;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.noise.NoiseWorkers;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.solver.EulerMaruyama;
import diffpure.testing.DemoFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gradient modes on the demo U-Net (nonlinear, 20 steps, EOT 2, 2 images): agreement with backprop
 * and finite differences, and the adjoint's error, which is recorded in target/adjoint-demo.txt
 * rather than hidden.
 */
class DemoModelGradientTest {
    private static NDManager manager;
    private static PtScoreModel scoreModel;
    private static PtClassifier classifier;
    private static IdxDataset data;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        scoreModel = PtScoreModel.load(DemoFiles.scoreModel(), Device.cpu());
        classifier = PtClassifier.load(DemoFiles.classifier(), Device.cpu());
        data = IdxDataset.read(DemoFiles.testImages(), DemoFiles.testLabels(), 10);
    }

    @AfterAll
    static void close() {
        scoreModel.close();
        classifier.close();
        manager.close();
    }

    static DiffusionPurifier purifier(double tStar, double dt) {
        double abar = ForwardAlphaBar.DISCRETE.at(scoreModel.manifest().schedule(), tStar);
        return new DiffusionPurifier(
                scoreModel,
                EulerMaruyama.chain(
                        new ReverseVpSde(scoreModel.manifest().schedule()),
                        TimeGrid.of(tStar, 1e-5, dt),
                        abar));
    }

    static GradientChecks checks(int first, int count, int eot) {
        float[] pixels = new float[count * 784];
        int[] labels = new int[count];
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
            Sample s = data.get(first + i);
            System.arraycopy(s.image(), 0, pixels, i * 784, 784);
            labels[i] = s.label();
            ids[i] = s.id();
        }
        return new GradientChecks(
                purifier(0.1, 5e-3),
                classifier,
                manager.create(pixels, new Shape(count, 1, 28, 28)),
                manager.create(labels),
                ids,
                eot);
    }

    @Test
    void exactAndCheckpointedEqualBackpropOnTheDemoUnet() {
        GradientChecks c = checks(0, 2, 2);
        assertEquals(20, c.purifier.chain().length());
        NDArray backprop = c.evaluate(new BackpropGradient(), 0).gradient();
        NDArray exact = c.evaluate(StoredStatesGradient.exact(), 0).gradient();
        NDArray checkpointed = c.evaluate(StoredStatesGradient.checkpointed(), 0).gradient();
        assertTrue(
                maxRelativeDifference(exact, backprop) < 1e-4,
                "exact vs backprop " + maxRelativeDifference(exact, backprop));
        assertTrue(
                maxRelativeDifference(checkpointed, backprop) < 1e-4, "checkpointed vs backprop");
    }

    @Test
    void exactMatchesFiniteDifferencesOnTheDemoUnetAndTheWrongVariantFails() {
        GradientChecks demo = checks(2, 2, 2);
        // The demo U-Net purifies; the head is a smooth linear classifier. The demo CNN's ReLUs and
        // max-pools are
        // piecewise linear: float32 central differences small enough to cross none of their kinks
        // drown in
        // rounding, so the check would test the classifier's kinks rather than the gradient through
        // the chain.
        LinearClassifier smooth = new LinearClassifier(manager, new Shape(1, 28, 28), 10, 17);
        GradientChecks c =
                new GradientChecks(demo.purifier, smooth, demo.x, demo.labels, demo.ids, 2);
        double[] offByOne = c.assertFiniteDifferences(40);
        System.out.println(
                "Jacobian at y_{k+1}: finite-difference errors "
                        + java.util.Arrays.toString(offByOne));
    }

    @Test
    void adjointErrorOnTheDemoUnetIsMeasuredAndRecorded() throws IOException {
        StringBuilder report =
                new StringBuilder("grid\tcosine\trelative_error\treconstruction_error\n");
        for (double dt : new double[] {5e-3, 1e-3}) {
            GradientChecks c =
                    new GradientChecks(
                            purifier(0.1, dt),
                            classifier,
                            checks(4, 2, 2).x,
                            checks(4, 2, 2).labels,
                            checks(4, 2, 2).ids,
                            2);
            TargetModel.Evaluation exact = c.evaluate(StoredStatesGradient.exact(), 0);
            TargetModel.Evaluation adjoint = c.evaluate(new AdjointGradient(), 0);
            double cos = cosine(adjoint.gradient(), exact.gradient());
            double rel = relativeError(adjoint.gradient(), exact.gradient());
            double rec = adjoint.diagnostics().reconstructionError();
            assertTrue(Double.isFinite(cos) && Double.isFinite(rel) && Double.isFinite(rec));
            assertArrayEquals(
                    exact.loss().toFloatArray(),
                    adjoint.loss().toFloatArray(),
                    "same forward draw");
            report.append(
                    String.format(
                            "t*=0.1 dt=%s N=%d\t%.5f\t%.5f\t%.5f%n",
                            dt, c.purifier.chain().length(), cos, rel, rec));
        }
        Path out = DemoFiles.repoRoot().resolve("common/target/adjoint-demo.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
        System.out.print("adjoint vs exact on the demo U-Net:\n" + report);
    }

    @Test
    void outputsAreDeterministicAndASampleAloneAgreesWithItsBatch() {
        GradientChecks c = checks(0, 4, 1);
        DefendedModel model =
                new DefendedModel(c.purifier, classifier, StoredStatesGradient.exact(), 1, 0, 7);
        NDArray batch = model.logits(c.x, c.ids, Purpose.VOTE_CLEAN, 0, 1);
        NDArray again = model.logits(c.x, c.ids, Purpose.VOTE_CLEAN, 0, 1);
        assertArrayEquals(
                batch.toFloatArray(), again.toFloatArray(), "bit-identical for the same batch");
        NDArray alone =
                model.logits(
                        c.x.get(new NDIndex("2:3")),
                        new long[] {c.ids[2]},
                        Purpose.VOTE_CLEAN,
                        0,
                        1);
        NDArray inBatch = batch.get(new NDIndex("2:3"));
        assertTrue(
                maxRelativeDifference(alone, inBatch) < 1e-5,
                "alone vs in batch " + maxRelativeDifference(alone, inBatch));
        assertEquals(inBatch.argMax(2).getLong(0, 0), alone.argMax(2).getLong(0, 0));
        // And a different draw index is a different purification.
        NDArray other = model.logits(c.x, c.ids, Purpose.VOTE_CLEAN, 1, 1);
        assertTrue(maxRelativeDifference(other, batch) > 1e-4);
    }

    @Test
    void noiseDrawnAheadGivesBitIdenticalLogitsAndGradientsInEveryChainMode() {
        GradientChecks c = checks(1, 2, 2);
        for (GradientMode mode :
                new GradientMode[] {
                    StoredStatesGradient.exact(),
                    StoredStatesGradient.checkpointed(),
                    new AdjointGradient(),
                    new BackpropGradient()
                }) {
            DefendedModel inline = new DefendedModel(c.purifier, classifier, mode, 2, 3, 5);
            DefendedModel ahead = inline.withNoiseWorkers(NoiseWorkers.shared(2));
            TargetModel.Evaluation a =
                    inline.lossAndGradient(
                            c.x, c.labels, c.ids, Objective.CROSS_ENTROPY, Purpose.PURIFY, 4);
            TargetModel.Evaluation b =
                    ahead.lossAndGradient(
                            c.x, c.labels, c.ids, Objective.CROSS_ENTROPY, Purpose.PURIFY, 4);
            assertArrayEquals(
                    a.gradient().toFloatArray(), b.gradient().toFloatArray(), mode.name());
            assertArrayEquals(a.logits().toFloatArray(), b.logits().toFloatArray(), mode.name());
        }
        DefendedModel inline =
                new DefendedModel(c.purifier, classifier, StoredStatesGradient.exact(), 1, 0, 5);
        assertArrayEquals(
                inline.logits(c.x, c.ids, Purpose.VOTE_CLEAN, 2, 3).toFloatArray(),
                inline.withNoiseWorkers(NoiseWorkers.shared(2))
                        .logits(c.x, c.ids, Purpose.VOTE_CLEAN, 2, 3)
                        .toFloatArray(),
                "votes");
    }
}
