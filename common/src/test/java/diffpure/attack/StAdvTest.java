package diffpure.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.UndefendedModel;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The flow warp, its gradients and StAdv on the synthetic linear classifier of 8x8 images. */
class StAdvTest {
    private static NDManager manager;
    private static UndefendedModel model;
    private static NDArray x;
    private static NDArray y;
    private static long[] ids;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        model = Fixtures.linear(manager, 10);
        x = Fixtures.images(manager, 16, new Shape(1, 8, 8), 3);
        y = Fixtures.predictedLabels(model.classifier(), x);
        ids = Fixtures.ids(16);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** n normals scaled by s, from the project's generator. */
    private static float[] normals(int n, double s, long seed) {
        float[] v = new float[n];
        GaussianNoise.fill(new NoiseKey(seed, 0, Purpose.TEST, 0, 0), 0, v, 0, n);
        for (int i = 0; i < n; i++) {
            v[i] *= (float) s;
        }
        return v;
    }

    @Test
    void aZeroFlowIsTheIdentity() {
        FlowWarp w = new FlowWarp(3, 5, 7);
        float[] img = Fixtures.images(manager, 2, new Shape(3, 5, 7), 8).toFloatArray();
        assertArrayEquals(img, w.warp(img, new float[2 * w.flowSize()], 2));
    }

    @Test
    void aFlowOfTwoOverWidthShiftsByOnePixelWithZerosOutside() {
        FlowWarp w = new FlowWarp(1, 3, 4);
        float[] img = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        float[] flow = new float[w.flowSize()];
        for (int p = 0; p < 12; p++) {
            flow[2 * p] =
                    2f / 4; // one pixel to the right in normalised units: out(i, j) = x(i, j + 1)
        }
        assertArrayEquals(
                new float[] {2, 3, 4, 0, 6, 7, 8, 0, 10, 11, 12, 0}, w.warp(img, flow, 1), 1e-6f);
        float[] down = new float[w.flowSize()];
        for (int p = 0; p < 12; p++) {
            down[2 * p + 1] =
                    -2f / 3 * 0.5f; // half a pixel up: out(i, j) = (x(i - 1, j) + x(i, j)) / 2
        }
        assertArrayEquals(
                new float[] {0.5f, 1, 1.5f, 2, 3, 4, 5, 6, 7, 8, 9, 10},
                w.warp(img, down, 1),
                1e-6f);
    }

    @Test
    void theWarpGradientMatchesFiniteDifferences() {
        FlowWarp w = new FlowWarp(2, 5, 6);
        int rows = 2;
        float[] img = Fixtures.images(manager, rows, new Shape(2, 5, 6), 12).toFloatArray();
        // Off the lattice, so that no difference crosses a kink of the bilinear warp.
        float[] flow = offLattice(normals(rows * w.flowSize(), 1, 13), 5, 6);
        float[] g = normals(rows * w.imageSize(), 1, 14);
        float[] analytic = w.flowGradient(img, flow, g, rows);
        double h = 1e-3;
        double worst = 0;
        for (int i = 0; i < flow.length; i++) {
            float[] plus = flow.clone();
            float[] minus = flow.clone();
            plus[i] += (float) h;
            minus[i] -= (float) h;
            double step = plus[i] - minus[i];
            double fd =
                    (dot(g, w.warpExact(img, plus, rows)) - dot(g, w.warpExact(img, minus, rows)))
                            / step;
            worst = Math.max(worst, Math.abs(fd - analytic[i]) / Math.max(1, Math.abs(fd)));
        }
        assertTrue(worst < 1e-4, "largest relative error " + worst);
    }

    @Test
    void theSmoothnessGradientMatchesFiniteDifferencesAndAConstantFlowIsSmooth() {
        FlowWarp w = new FlowWarp(1, 4, 5);
        float[] flow = normals(2 * w.flowSize(), 0.05, 21);
        float[] analytic = w.smoothnessGradient(flow, 2);
        double worst = 0;
        for (int i = 0; i < flow.length; i++) {
            float[] plus = flow.clone();
            float[] minus = flow.clone();
            plus[i] += 1e-4f;
            minus[i] -= 1e-4f;
            double[] a = w.smoothness(plus, 2);
            double[] b = w.smoothness(minus, 2);
            double fd = (a[0] + a[1] - b[0] - b[1]) / (plus[i] - minus[i]);
            worst = Math.max(worst, Math.abs(fd - analytic[i]));
        }
        assertTrue(worst < 1e-3, "largest error " + worst);
        float[] constant = new float[w.flowSize()];
        java.util.Arrays.fill(constant, 0.04f);
        // 4 neighbour terms per pixel, each sqrt(1e-10) for a constant flow.
        assertEquals(4 * 20 * 1e-5, w.smoothness(constant, 1)[0], 1e-12);
        assertTrue(w.smoothness(flow, 2)[0] > 1);
    }

    @Test
    void projectionKeepsTheBoundAndTheValidGrid() {
        FlowWarp w = new FlowWarp(1, 8, 40);
        float[] flow = normals(w.flowSize(), 1, 31);
        w.project(flow, 1, 0.05);
        assertTrue(w.linf(flow, 1)[0] <= 0.05 + 1e-7);
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 40; j++) {
                double gx = (2.0 * j + 1) / 40 - 1 + flow[2 * (i * 40 + j)];
                assertTrue(gx >= -1 - 1e-6 && gx <= 1 + 1e-6, "grid " + gx + " at column " + j);
            }
        }
    }

    @Test
    void theFlowGradientChainsTheModelGradientThroughTheWarp() {
        // d/dh margin(warp(x, f + h d)) at h = 0 against <flowGradient(x, f, dmargin/dimage), d>.
        FlowWarp w = new FlowWarp(1, 8, 8);
        int rows = 4;
        float[] img = Fixtures.images(manager, rows, new Shape(1, 8, 8), 40).toFloatArray();
        float[] flow = offLattice(normals(rows * w.flowSize(), 1, 41), 8, 8);
        float[] dir = normals(rows * w.flowSize(), 1, 42);
        NDArray labels = y.get("0:4");
        long[] id4 = {ids[0], ids[1], ids[2], ids[3]};
        float[] g;
        try (NDManager scope = manager.newSubManager()) {
            NDArray xa = scope.create(w.warp(img, flow, rows), new Shape(rows, 1, 8, 8));
            g =
                    model.lossAndGradient(xa, labels, id4, Losses.cwMargin(), Purpose.PURIFY, 0)
                            .gradient()
                            .toFloatArray();
        }
        float[] chained = w.flowGradient(img, flow, g, rows);
        double h = 1e-3;
        for (int s = 0; s < rows; s++) {
            double analytic = 0;
            for (int i = s * w.flowSize(); i < (s + 1) * w.flowSize(); i++) {
                analytic += (double) chained[i] * dir[i];
            }
            double fd =
                    (margin(w, img, flow, dir, h, rows)[s] - margin(w, img, flow, dir, -h, rows)[s])
                            / (2 * h);
            assertEquals(analytic, fd, 1e-2 * Math.max(1, Math.abs(fd)), "row " + s);
        }
    }

    private static double[] margin(
            FlowWarp w, float[] img, float[] flow, float[] dir, double h, int rows) {
        float[] f = flow.clone();
        for (int i = 0; i < f.length; i++) {
            f[i] += (float) (h * dir[i]);
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray xa = scope.create(w.warp(img, f, rows), new Shape(rows, 1, 8, 8));
            NDArray logits = model.classifier().logits(xa);
            float[] m = Losses.cwMargin().perRow(logits, y.get("0:4")).toFloatArray();
            double[] out = new double[rows];
            for (int s = 0; s < rows; s++) {
                out[s] = m[s];
            }
            return out;
        }
    }

    /** Flows whose sampling points lie 0.1 .. 0.9 pixels off the lattice, either side. */
    private static float[] offLattice(float[] z, int height, int width) {
        float[] flow = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            double off = Math.signum(z[i]) * (0.1 + 0.8 * Math.min(Math.abs(z[i]) / 3, 1));
            flow[i] = (float) (off * 2 / (i % 2 == 0 ? width : height));
        }
        return flow;
    }

    @Test
    void everyReturnedImageIsTheWarpOfAFlowInsideTheBound() {
        StAdv a = StAdv.diffPure(0.05).withIterations(15);
        StAdv.Result r = a.runWithFlows(model, x, y, ids, AttackContext.of(2));
        float[] flows = r.flows();
        FlowWarp w = new FlowWarp(1, 8, 8);
        double[] linf = w.linf(flows, 16);
        float[] warped = w.warp(x.toFloatArray(), flows, 16);
        float[] adv = r.attack().adversarial().toFloatArray();
        for (int s = 0; s < 16; s++) {
            assertTrue(linf[s] <= 0.05 + 1e-7, "row " + s + " flow " + linf[s]);
            assertEquals(linf[s], r.attack().distances()[s], 1e-12);
        }
        for (int i = 0; i < adv.length; i++) {
            assertTrue(adv[i] >= 0f && adv[i] <= 1f, "pixel " + adv[i]);
            assertEquals(warped[i], adv[i], 0f);
        }
        assertTrue(linf[0] > 0, "the attack moved the flow");
        assertTrue(
                r.attack().traces().stream()
                        .allMatch(t -> t.gradients() == 15 && t.evaluations() == 15));
    }

    @Test
    void stadvLowersRobustAccuracyAndALargerBoundLowersItFurther() {
        double small =
                Fixtures.accuracy(
                        model,
                        StAdv.diffPure(0.05)
                                .withIterations(20)
                                .run(model, x, y, ids, AttackContext.of(3))
                                .adversarial(),
                        y);
        double large =
                Fixtures.accuracy(
                        model,
                        StAdv.diffPure(0.5)
                                .withIterations(20)
                                .run(model, x, y, ids, AttackContext.of(3))
                                .adversarial(),
                        y);
        assertTrue(small < 1.0, "bound 0.05 left " + small);
        assertTrue(large <= small, "bound 0.5 left " + large + ", bound 0.05 " + small);
    }

    @Test
    void flowAndPixelThreatModelsDoNotMix() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new StAdv(ThreatModel.linf(0.03), 10, 0.01, 0.0025));
        assertEquals(
                "stadv needs a flow bound (ThreatModel.flow), found Linf eps=0.03", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Apgd.ce(ThreatModel.flow(0.05)));
        assertEquals(
                "apgd-ce needs an Linf or L2 ball on the image, found flow-Linf eps=0.05 (a flow"
                        + " bound: use StAdv)",
                e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new Composition("mix", List.of(StAdv.diffPure(0.05))));
        assertEquals(
                "mix needs an Linf or L2 ball on the image, found flow-Linf eps=0.05 (a flow bound:"
                        + " use StAdv)",
                e.getMessage());
        IllegalStateException s =
                assertThrows(
                        IllegalStateException.class,
                        () -> ThreatModel.flow(0.05).check(new float[4], new float[4], 1, "stadv"));
        assertEquals(
                "stadv check: flow-Linf eps=0.05 bounds a flow field, not the image; StAdv projects"
                        + " and checks its flows itself",
                s.getMessage());
    }

    private static double dot(float[] a, double[] b) {
        double acc = 0;
        for (int i = 0; i < a.length; i++) {
            acc += a[i] * b[i];
        }
        return acc;
    }
}
