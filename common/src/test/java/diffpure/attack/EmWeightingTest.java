package diffpure.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.BpdaGradient;
import diffpure.gradient.DefendedModel;
import diffpure.model.synthetic.AnalyticDefence;
import diffpure.model.synthetic.GaussianMixture;
import diffpure.noise.Purpose;
import diffpure.purify.PurifierSpec;
import diffpure.sde.VpSchedule;
import org.junit.jupiter.api.Test;

/** DiffHammer's weighting: its formula on a hand case, and its purpose on a mixture defence. */
class EmWeightingTest {

    @Test
    void handCase() {
        // copy 0: loss 1, gradient (1, -1); copy 1: loss -1, gradient (-2, 0)
        float[] loss = {1f, -1f};
        float[][] g = {{1f, -1f}, {-2f, 0f}};
        EmWeighting.Result r = EmWeighting.weigh(loss, g, 0.5, Norm.LINF);
        // E-step: q=0: elu(1 + 0.5*2) + elu(-1 + 0.5*(-2)) = 2 + expm1(-2); q=1: elu(1 + 0.5*(-1))
        // + elu(-1 + 0.5*2) = 0.5 + 0
        assertEquals(0, r.best());
        double w0 = 1 / (1 + Math.exp(-5 * (1 + 2)));
        double w1 = 1 / (1 + Math.exp(-5 * (-1 - 2)));
        assertArrayEquals(new double[] {w0, w1}, r.weights(), 1e-12);
        float[] up = {(float) ((w0 - 2 * w1) / (w0 + w1)), (float) (-w0 / (w0 + w1))};
        assertArrayEquals(up, r.upstream(), 1e-6f);
    }

    /**
     * A mixture defence built so that 3 of 10 purified copies are vulnerable (in expectation, and
     * exactly for some samples): class 0 (weight 0.69) at u = (-0.5, 0), class 1 (0.3) at (0.5, 0),
     * class 2 (0.01) at (-0.5, -0.35); every image at u = 0, purified from t* = 0.5, where the
     * diffused image has nearly forgotten it, so each copy lands at class 0 or class 1 about as the
     * weights say. Under the CW margin (the first restart's loss) the copies at class 1 (label 0:
     * fooled) share one gradient direction (towards class 1), the copies at class 0 another
     * (towards class 2, their nearest wrong class). The weights must put >= 0.8 of their mass on
     * the vulnerable copies (uniform weights: their share, 0.3 for 3 of 10), and q* must be one.
     * (On a two-class mixture every copy's gradient has the same direction and the weighting has
     * nothing to tell apart.)
     */
    @Test
    void onAMixtureDefenceTheWeightsGoToTheVulnerableCopies() {
        try (NDManager m = NDManager.newBaseManager()) {
            GaussianMixture mixture =
                    new GaussianMixture(
                            new Shape(1, 1, 2),
                            new double[][] {{-0.5, 0}, {0.5, 0}, {-0.5, -0.35}},
                            0.1,
                            new double[] {0.69, 0.3, 0.01});
            AnalyticDefence defence = AnalyticDefence.of(m, mixture, VpSchedule.DEFAULT);
            DefendedModel model =
                    new DefendedModel(
                            defence.purifier(PurifierSpec.reference(0.5).withDt(0.01)),
                            defence.classifier(),
                            new BpdaGradient(),
                            1,
                            0,
                            77);
            int ids = 40;
            int copies = 10;
            NDArray x = m.full(new Shape(ids, 1, 1, 2), 0.5f);
            long[] sampleIds = new long[ids];
            for (int s = 0; s < ids; s++) {
                sampleIds[s] = s;
            }
            DefendedModel.Copies c =
                    model.copiesWithBpda(
                            x,
                            m.zeros(new Shape(ids), ai.djl.ndarray.types.DataType.INT64),
                            sampleIds,
                            Losses.cwMargin(),
                            Purpose.PURIFY,
                            0,
                            copies);
            float[] loss = c.loss().toFloatArray();
            float[] g = c.purifiedGradient().toFloatArray();
            long[] pred = c.logits().argMax(2).toLongArray();
            int exactlyThree = 0;
            int mixed = 0;
            for (int s = 0; s < ids; s++) {
                boolean[] vulnerable = new boolean[copies];
                int count = 0;
                float[][] grads = new float[copies][];
                float[] l = new float[copies];
                for (int p = 0; p < copies; p++) {
                    vulnerable[p] = pred[s * copies + p] != 0;
                    count += vulnerable[p] ? 1 : 0;
                    l[p] = loss[s * copies + p];
                    grads[p] =
                            java.util.Arrays.copyOfRange(
                                    g, (s * copies + p) * 2, (s * copies + p) * 2 + 2);
                }
                if (count == 0 || count == copies) {
                    continue;
                }
                mixed++;
                exactlyThree += count == 3 ? 1 : 0;
                EmWeighting.Result r = EmWeighting.weigh(l, grads, 8 / 255.0, Norm.LINF);
                double mass = r.massOn(vulnerable);
                assertTrue(
                        mass >= 0.8,
                        "sample "
                                + s
                                + ": "
                                + count
                                + " vulnerable, mass "
                                + mass
                                + java.util.Arrays.toString(l)
                                + java.util.Arrays.deepToString(grads)
                                + java.util.Arrays.toString(r.weights()));
                assertTrue(vulnerable[r.best()], "sample " + s + ": q* is a vulnerable copy");
            }
            assertTrue(mixed >= 20, "copies split between the classes: " + mixed);
            assertTrue(
                    exactlyThree >= 3, "samples with exactly 3 of 10 vulnerable: " + exactlyThree);
        }
    }
}
