package diffpure.gradient;

import static diffpure.gradient.GradientTesting.cosine;
import static diffpure.gradient.GradientTesting.maxRelativeDifference;
import static diffpure.gradient.GradientTesting.relativeError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.ScoreModel;
import diffpure.model.synthetic.GaussianScoreModel;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.model.synthetic.MlpScoreModel;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.sde.VpSchedule;
import diffpure.solver.EulerMaruyama;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Gradient modes on small models built from tensor ops: fast, so the chains can be long. */
class SyntheticGradientTest {
    private static final Shape IMG = new Shape(1, 6, 6);
    private static final VpSchedule SCHEDULE = VpSchedule.DEFAULT;
    private static NDManager manager;
    private static LinearClassifier classifier;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        classifier = new LinearClassifier(manager, IMG, 10, 3);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static GradientChecks checks(
            ScoreModel model, double tStar, double dt, int samples, int eot) {
        double abar = ForwardAlphaBar.DISCRETE.at(SCHEDULE, tStar);
        DiffusionPurifier p =
                new DiffusionPurifier(
                        model,
                        EulerMaruyama.chain(
                                new ReverseVpSde(SCHEDULE), TimeGrid.of(tStar, 1e-5, dt), abar));
        NDArray x = GradientTesting.images(manager, samples, IMG, 7);
        long[] ids = new long[samples];
        int[] labels = new int[samples];
        for (int i = 0; i < samples; i++) {
            ids[i] = 100 + i;
            labels[i] = i % 10;
        }
        return new GradientChecks(p, classifier, x, manager.create(labels), ids, eot);
    }

    private static MlpScoreModel nonlinear() {
        return new MlpScoreModel(manager, IMG, 32, 2.0, 5);
    }

    @Test
    void exactAndCheckpointedEqualBackprop() {
        GradientChecks c = checks(nonlinear(), 0.1, 5e-3, 3, 2); // 20 steps
        NDArray backprop = c.evaluate(new BackpropGradient(), 0).gradient();
        NDArray exact = c.evaluate(StoredStatesGradient.exact(), 0).gradient();
        NDArray checkpointed = c.evaluate(StoredStatesGradient.checkpointed(), 0).gradient();
        NDArray every3 = c.evaluate(StoredStatesGradient.checkpointedEvery(3), 0).gradient();
        assertTrue(maxRelativeDifference(exact, backprop) < 1e-5, "exact vs backprop");
        assertTrue(
                maxRelativeDifference(checkpointed, backprop) < 1e-5, "checkpointed vs backprop");
        assertTrue(maxRelativeDifference(every3, backprop) < 1e-5, "checkpointed(3) vs backprop");
    }

    @Test
    void exactMatchesFiniteDifferencesAndAWrongVariantDoesNot() {
        GradientChecks c = checks(nonlinear(), 0.1, 5e-3, 3, 2);
        double[] offByOne = c.assertFiniteDifferences(20);
        System.out.println(
                "Jacobian at y_{k+1}: finite-difference errors "
                        + java.util.Arrays.toString(offByOne));
    }

    @Test
    void adjointAgreesWithExactOnWellConditionedModels() {
        for (ScoreModel model :
                new ScoreModel[] {
                    new GaussianScoreModel(SCHEDULE, IMG, 0.1, 0.5),
                    new MlpScoreModel(manager, IMG, 32, 0.3, 9)
                }) {
            GradientChecks c = checks(model, 0.1, 1e-3, 2, 2); // the reference grid, 100 steps
            TargetModel.Evaluation exact = c.evaluate(StoredStatesGradient.exact(), 0);
            TargetModel.Evaluation adjoint = c.evaluate(new AdjointGradient(), 0);
            double cos = cosine(adjoint.gradient(), exact.gradient());
            assertTrue(cos >= 0.99, model.describe() + ": cosine " + cos);
            assertTrue(
                    adjoint.diagnostics().reconstructionError() < 0.05,
                    model.describe()
                            + ": reconstruction error "
                            + adjoint.diagnostics().reconstructionError());
            assertArrayEquals(
                    exact.loss().toFloatArray(),
                    adjoint.loss().toFloatArray(),
                    "same forward draw");
        }
    }

    @Test
    void adjointHoldsAsMuchAtTenStepsAsAtAThousand() {
        GaussianScoreModel model = new GaussianScoreModel(SCHEDULE, IMG, 0.0, 0.5);
        long[] live = new long[2];
        long[] exactLive = new long[2];
        long[] checkpointedLive = new long[2];
        double[] dts = {1e-2, 1e-4};
        for (int i = 0; i < 2; i++) {
            GradientChecks c = checks(model, 0.1, dts[i], 1, 1);
            assertEquals(i == 0 ? 10 : 1000, c.purifier.chain().length());
            live[i] = c.evaluate(new AdjointGradient(), 0).diagnostics().peakLiveElements();
            exactLive[i] =
                    c.evaluate(StoredStatesGradient.exact(), 0).diagnostics().peakLiveElements();
            checkpointedLive[i] =
                    c.evaluate(StoredStatesGradient.checkpointed(), 0)
                            .diagnostics()
                            .peakLiveElements();
        }
        assertEquals(live[0], live[1], "adjoint elements held at N=10 vs N=1000");
        assertTrue(exactLive[1] >= 1000 * IMG.size(), "exact keeps every state: " + exactLive[1]);
        assertTrue(
                checkpointedLive[1] * 10 <= exactLive[1],
                "checkpointed " + checkpointedLive[1] + " vs exact " + exactLive[1] + " at N=1000");
    }

    @Test
    void resultsDoNotDependOnMicroBatchesThreadsOrRepetition() throws Exception {
        GradientChecks c = checks(nonlinear(), 0.1, 1e-2, 3, 2);
        TargetModel.Evaluation whole = c.evaluate(StoredStatesGradient.exact(), 0);
        TargetModel.Evaluation again = c.evaluate(StoredStatesGradient.exact(), 0);
        assertArrayEquals(
                whole.gradient().toFloatArray(),
                again.gradient().toFloatArray(),
                "bit-identical rerun");
        TargetModel.Evaluation split = c.evaluate(StoredStatesGradient.exact(), 1);
        assertTrue(
                maxRelativeDifference(split.gradient(), whole.gradient()) < 1e-5,
                "micro-batches of one row");
        assertTrue(maxRelativeDifference(split.loss(), whole.loss()) < 1e-5);

        // Two threads at once (as two Spark tasks in one executor), each with its own inputs and
        // grad mode, match
        // the sequential results.
        float[] adjoint = c.evaluate(new AdjointGradient(), 0).gradient().toFloatArray();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (NDManager m1 = NDManager.newBaseManager();
                NDManager m2 = NDManager.newBaseManager()) {
            GradientChecks c1 = c.copyTo(m1);
            GradientChecks c2 = c.copyTo(m2);
            for (int round = 0; round < 3; round++) {
                Future<float[]> a =
                        pool.submit(
                                () ->
                                        c1.evaluate(StoredStatesGradient.exact(), 0)
                                                .gradient()
                                                .toFloatArray());
                Future<float[]> b =
                        pool.submit(
                                () ->
                                        c2.evaluate(new AdjointGradient(), 0)
                                                .gradient()
                                                .toFloatArray());
                assertArrayEquals(whole.gradient().toFloatArray(), a.get(), 1e-6f);
                assertArrayEquals(adjoint, b.get(), 1e-6f);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void bpdaIsTheClassifierGradientAtThePurifiedImage() {
        GradientChecks c = checks(nonlinear(), 0.1, 1e-2, 2, 1);
        TargetModel.Evaluation bpda = c.evaluate(new BpdaGradient(), 0);
        TargetModel.Evaluation exact = c.evaluate(StoredStatesGradient.exact(), 0);
        assertArrayEquals(
                exact.loss().toFloatArray(),
                bpda.loss().toFloatArray(),
                1e-6f,
                "same forward pass");
        assertTrue(
                relativeError(bpda.gradient(), exact.gradient()) > 1e-3,
                "BPDA must differ in the backward pass");
    }
}
