package diffpure.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.attack.AttackContext;
import diffpure.attack.Pgd;
import diffpure.attack.Square;
import diffpure.attack.ThreatModel;
import diffpure.gradient.AdjointGradient;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientDiagnostics;
import diffpure.gradient.GradientMode;
import diffpure.gradient.Objective;
import diffpure.gradient.StoredStatesGradient;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.model.synthetic.MlpScoreModel;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.sde.VpSchedule;
import diffpure.solver.EulerMaruyama;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The adjoint gradient's error where it is used: per-row reconstruction errors of y_0 (independent
 * of the micro-batch split), the per-sample figure a result row carries, and the cosine against an
 * exact gradient for the same draw. A well-conditioned synthetic model (mild MLP score, 20 steps).
 */
class AdjointErrorsTest {
    private static final Shape IMG = new Shape(1, 6, 6);
    private static NDManager manager;
    private static DiffusionPurifier purifier;
    private static LinearClassifier classifier;
    private static NDArray x;
    private static NDArray y;
    private static final long[] IDS = {40, 41, 42, 43};

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        classifier = new LinearClassifier(manager, IMG, 10, 3);
        VpSchedule s = VpSchedule.DEFAULT;
        purifier =
                new DiffusionPurifier(
                        new MlpScoreModel(manager, IMG, 32, 0.3, 9),
                        EulerMaruyama.chain(
                                new ReverseVpSde(s),
                                TimeGrid.of(0.1, 1e-5, 5e-3),
                                ForwardAlphaBar.DISCRETE.at(s, 0.1)));
        float[] data = new float[4 * 36];
        GaussianNoise.fill(new NoiseKey(5, 0, Purpose.TEST, 0, 0), 0, data, 0, data.length);
        for (int i = 0; i < data.length; i++) {
            data[i] = Math.min(0.95f, Math.max(0.05f, 0.5f + 0.2f * data[i]));
        }
        x = manager.create(data, new Shape(4).addAll(IMG));
        y = manager.create(new long[] {1, 3, 5, 7});
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static DefendedModel model(GradientMode mode, int microBatchRows) {
        return new DefendedModel(purifier, classifier, mode, 2, microBatchRows, 11);
    }

    private static GradientDiagnostics diagnostics(DefendedModel m, long draw) {
        return m.lossAndGradient(x, y, IDS, Objective.CROSS_ENTROPY, Purpose.PURIFY, draw)
                .diagnostics();
    }

    @Test
    void adjointMeasuresEachRowAndMicroBatchesKeepTheRowOrder() {
        GradientDiagnostics whole = diagnostics(model(new AdjointGradient(), 0), 3);
        double[] rows = whole.rowReconstructionErrors();
        assertEquals(8, rows.length, "4 images x EOT 2");
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (double r : rows) {
            assertTrue(Double.isFinite(r) && r >= 0, "row error " + r);
            min = Math.min(min, r);
            max = Math.max(max, r);
        }
        // The pooled figure ||sum of differences|| / ||sum of y_0|| lies between the row ratios.
        assertTrue(
                whole.reconstructionError() >= min - 1e-7
                        && whole.reconstructionError() <= max + 1e-7,
                whole.reconstructionError() + " outside [" + min + ", " + max + "]");
        double[] split = diagnostics(model(new AdjointGradient(), 3), 3).rowReconstructionErrors();
        assertArrayEquals(rows, split, 1e-6, "micro-batches of 3, 3 and 2 rows");
        assertEquals(
                0,
                diagnostics(model(StoredStatesGradient.exact(), 0), 3)
                        .rowReconstructionErrors()
                        .length,
                "exact reconstructs nothing");
    }

    @Test
    void aSampleOutcomeCarriesTheLargestErrorOfItsAttacksGradientCalls() {
        DefendedModel adjoint = model(new AdjointGradient(), 0);
        // PGD with one iteration makes one gradient call, at the clean image, draw 0 of stage 0.
        Pgd pgd = Pgd.signEpsOver4(ThreatModel.linf(0.05), 1);
        List<SampleOutcome> out =
                new RobustnessEvaluator(adjoint, pgd, 3, 11, 0, 8).evaluate(x, y, IDS);
        double[] rows =
                diagnostics(adjoint, AttackContext.of(11).draw(0)).rowReconstructionErrors();
        for (int s = 0; s < 4; s++) {
            assertEquals(
                    Math.max(rows[2 * s], rows[2 * s + 1]),
                    out.get(s).diagnostics().adjointReconstructionError(),
                    0.0,
                    "sample " + s);
        }
        // Other gradient modes, and attacks without gradients, report none.
        List<SampleOutcome> exact =
                new RobustnessEvaluator(model(StoredStatesGradient.exact(), 0), pgd, 3, 11, 0, 8)
                        .evaluate(x, y, IDS);
        assertTrue(
                exact.stream()
                        .allMatch(o -> Double.isNaN(o.diagnostics().adjointReconstructionError())));
        List<SampleOutcome> square =
                new RobustnessEvaluator(
                                adjoint,
                                Square.standard(ThreatModel.linf(0.05)).withIterations(2),
                                3,
                                11,
                                0,
                                8)
                        .evaluate(x, y, IDS);
        assertTrue(
                square.stream()
                        .allMatch(o -> Double.isNaN(o.diagnostics().adjointReconstructionError())));
    }

    @Test
    void theCosineComparesTheSameDrawAndIsOneAgainstItself() {
        DefendedModel exact = model(StoredStatesGradient.exact(), 0);
        AdjointAgreement self = AdjointAgreement.measure(exact, exact, "exact", x, y, IDS, 5);
        for (double c : self.cosine()) {
            assertEquals(1.0, c, 1e-6);
        }
        for (double r : self.reconstructionError()) {
            assertTrue(Double.isNaN(r));
        }
        DefendedModel adjoint = model(new AdjointGradient(), 0);
        AdjointAgreement a = AdjointAgreement.measure(adjoint, exact, "exact", x, y, IDS, 5);
        double[] rows = diagnostics(adjoint, 5).rowReconstructionErrors();
        for (int s = 0; s < 4; s++) {
            // A well-conditioned model: the adjoint is close to exact, not equal
            assertTrue(a.cosine()[s] > 0.99 && a.cosine()[s] < 1, "cosine " + a.cosine()[s]);
            assertEquals(Math.max(rows[2 * s], rows[2 * s + 1]), a.reconstructionError()[s], 0.0);
        }
        GradientMaskingChecks.Report report =
                new GradientMaskingChecks.Report(4, List.of()).withAdjoint(a);
        String json = report.json();
        assertTrue(
                json.startsWith(
                        "{\"subset\": 4, \"checks\": [], \"adjoint\": {\"compared_with\": \"exact\","
                                + " \"cosine_min\": "
                                + a.cosineMin()
                                + ", \"sample_ids\": [40, 41, 42, 43], \"cosine\": ["),
                json);
    }
}
