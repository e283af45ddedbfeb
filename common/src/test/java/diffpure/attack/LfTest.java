package diffpure.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.Objective;
import diffpure.gradient.StoredStatesGradient;
import diffpure.gradient.TargetModel;
import diffpure.gradient.UndefendedModel;
import diffpure.model.Classifier;
import diffpure.model.PerceptualDistance;
import diffpure.model.PtPerceptualModel;
import diffpure.model.synthetic.AnalyticDefence;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.model.synthetic.MixtureDataset;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.purify.PurifierSpec;
import diffpure.testing.DemoFiles;
import diffpure.torch.PtAutograd;
import diffpure.torch.Scalars;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The LF attack: its guided-filter cascade (identity at the start, gradients against finite
 * differences, reflection), the bound kept by the same network's measure, an unbounded filter
 * attack when the distance is always 0, and rows independent of their batch.
 */
class LfTest {
    private static final Path STANDIN =
            DemoFiles.repoRoot()
                    .resolve("common/src/test/resources/fixtures/exported/standin-perceptual.pt");

    private static NDManager manager;
    private static PtPerceptualModel lpips;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager(Device.cpu());
        lpips = PtPerceptualModel.load(STANDIN, Device.cpu(), c -> {});
    }

    @AfterAll
    static void tearDown() {
        lpips.close();
        manager.close();
    }

    /** A distance that is always 0 but connected to its input (a test double of a metric). */
    private static final PerceptualDistance ZERO =
            new PerceptualDistance() {
                @Override
                public NDArray distance(NDArray a, NDArray b) {
                    NDArray flat = a.sub(b).reshape(a.getShape().get(0), -1);
                    return Scalars.mul(flat.sum(new int[] {1}), 0);
                }

                @Override
                public Shape imageShape() {
                    return new Shape(1, 1, 2);
                }

                @Override
                public String describe() {
                    return "zero";
                }
            };

    private static float[] normals(int n, double s, long seed) {
        float[] v = new float[n];
        GaussianNoise.fill(new NoiseKey(seed, 0, Purpose.TEST, 0, 0), 0, v, 0, n);
        for (int i = 0; i < n; i++) {
            v[i] *= (float) s;
        }
        return v;
    }

    private static List<NDArray> initial(GuidedFilterCascade c, NDManager m, int rows) {
        List<NDArray> out = new ArrayList<>();
        for (int f = 0; f < c.filters(); f++) {
            out.add(
                    m.create(
                            c.initialWeights(f, rows),
                            new Shape(rows, c.pixels(), c.quarterSize(f))));
        }
        return out;
    }

    private static List<NDArray> guidance(GuidedFilterCascade c, NDManager m, float[] g, int rows) {
        List<NDArray> out = new ArrayList<>();
        for (int f = 0; f < c.filters(); f++) {
            out.add(
                    m.create(
                            c.logGuidance(f, g, rows),
                            new Shape(rows, c.pixels(), c.kernelSize(f))));
        }
        return out;
    }

    @Test
    void reflectionIsPyTorchsWithinTheImageAndPeriodicBeyond() {
        int[] expected = {3, 2, 1, 0, 1, 2, 3, 2, 1, 0};
        for (int i = -3; i <= 6; i++) {
            assertEquals(expected[i + 3], GuidedFilterCascade.reflectIndex(i, 4), "index " + i);
        }
        assertEquals(0, GuidedFilterCascade.reflectIndex(-3, 1));
        assertEquals(1, GuidedFilterCascade.reflectIndex(-3, 2));
        assertEquals(0, GuidedFilterCascade.reflectIndex(4, 2));
    }

    @Test
    void theCascadeAtInitialisationIsTheIdentityWithin1e3() {
        for (Shape image : List.of(new Shape(3, 8, 7), new Shape(1, 1, 2))) {
            try (NDManager m = manager.newSubManager();
                    PtAutograd.Mode off = PtAutograd.disabled()) {
                int rows = 3;
                GuidedFilterCascade c =
                        new GuidedFilterCascade(image, Lf.CIFAR10_KERNELS, 0.05, 0.2);
                NDArray x = Fixtures.images(m, rows, image, 31);
                float[] xh = x.toFloatArray();
                NDArray modifier = x.zerosLike();
                NDArray out =
                        c.image(
                                modifier,
                                GuidedFilterCascade.tanhOffset(x),
                                initial(c, m, rows),
                                guidance(c, m, xh, rows));
                float[] o = out.toFloatArray();
                double worst = 0;
                for (int i = 0; i < o.length; i++) {
                    worst = Math.max(worst, Math.abs(o[i] - xh[i]));
                }
                assertTrue(worst <= 1e-3, image + ": largest change " + worst);
                // and not the identity by construction: the weights off the centre are 1e-5
                float[] noGuide =
                        c.apply(x, initial(c, m, rows), guidance(c, m, new float[xh.length], rows))
                                .toFloatArray();
                double moved = 0;
                for (int i = 0; i < o.length; i++) {
                    moved = Math.max(moved, Math.abs(noGuide[i] - xh[i]));
                }
                if (image.size() > 2) {
                    assertTrue(moved > 1e-6, "unguided cascade moved " + moved);
                }
            }
        }
    }

    @Test
    void theCascadeGradientAgreesWithFiniteDifferences() {
        Shape image = new Shape(2, 5, 4);
        List<int[]> kernels = List.of(new int[] {3, 3}, new int[] {5, 3});
        GuidedFilterCascade c = new GuidedFilterCascade(image, kernels, 0.3, 0.8);
        int rows = 2;
        try (NDManager m = manager.newSubManager()) {
            float[] xh = Fixtures.images(m, rows, image, 41).toFloatArray();
            float[] gh = Fixtures.images(m, rows, image, 42).toFloatArray();
            List<float[]> q = new ArrayList<>();
            for (int f = 0; f < c.filters(); f++) {
                float[] w = c.initialWeights(f, rows);
                float[] noise = normals(w.length, 0.5, 43 + f);
                for (int i = 0; i < w.length; i++) {
                    w[i] = 0.3f * w[i] + noise[i];
                }
                q.add(w);
            }
            float[] seed = normals(xh.length, 1, 50);
            List<NDArray> guide = guidance(c, m, gh, rows);
            // analytic: gradient of <seed, cascade(x)> with respect to x and every weight
            NDArray xLeaf = PtAutograd.leaf(m.create(xh, new Shape(rows).addAll(image)));
            List<NDArray> leaves = new ArrayList<>();
            for (int f = 0; f < c.filters(); f++) {
                leaves.add(
                        PtAutograd.leaf(
                                m.create(q.get(f), new Shape(rows, c.pixels(), c.quarterSize(f)))));
            }
            try (PtAutograd.Mode on = PtAutograd.enabled()) {
                NDArray out = c.apply(xLeaf, leaves, guide);
                NDArray total = out.mul(m.create(seed, out.getShape())).sum().reshape(1);
                PtAutograd.backward(total, total.onesLike());
            }
            List<float[]> params = new ArrayList<>(q);
            params.add(xh);
            List<float[]> grads = new ArrayList<>();
            for (NDArray l : leaves) {
                grads.add(PtAutograd.gradientOf(l).toFloatArray());
            }
            grads.add(PtAutograd.gradientOf(xLeaf).toFloatArray());
            for (int p = 0; p < params.size(); p++) {
                float[] dir = normals(params.get(p).length, 1, 60 + p);
                double analytic = 0;
                for (int i = 0; i < dir.length; i++) {
                    analytic += (double) dir[i] * grads.get(p)[i];
                }
                double h = 1e-2;
                double numeric =
                        (value(c, m, params, p, dir, h, seed, guide, rows, image)
                                        - value(c, m, params, p, dir, -h, seed, guide, rows, image))
                                / (2 * h);
                assertEquals(
                        analytic,
                        numeric,
                        2e-3 * Math.max(1, Math.abs(analytic)),
                        "parameter tensor " + p);
            }
        }
    }

    private static double value(
            GuidedFilterCascade c,
            NDManager m,
            List<float[]> params,
            int which,
            float[] dir,
            double h,
            float[] seed,
            List<NDArray> guide,
            int rows,
            Shape image) {
        try (NDManager s = m.newSubManager();
                PtAutograd.Mode off = PtAutograd.disabled()) {
            List<NDArray> q = new ArrayList<>();
            NDArray x = null;
            for (int p = 0; p < params.size(); p++) {
                float[] v = params.get(p).clone();
                if (p == which) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] += (float) (h * dir[i]);
                    }
                }
                if (p < c.filters()) {
                    q.add(s.create(v, new Shape(rows, c.pixels(), c.quarterSize(p))));
                } else {
                    x = s.create(v, new Shape(rows).addAll(image));
                }
            }
            float[] out = c.apply(x, q, guide).toFloatArray();
            double total = 0;
            for (int i = 0; i < out.length; i++) {
                total += (double) seed[i] * out[i];
            }
            return total;
        }
    }

    @Test
    void pluralityIsLostWhenAnotherLabelHasAtLeastAsManyVotes() {
        assertTrue(Lf.pluralityLost(new long[] {1, 1, 2, 2, 3}, 3));
        assertTrue(Lf.pluralityLost(new long[] {1, 1, 3, 3, 2}, 3), "a tie is lost");
        assertFalse(Lf.pluralityLost(new long[] {3, 3, 1, 2, 4}, 3), "2 of 5 is a plurality");
        assertFalse(Lf.pluralityLost(new long[] {3}, 3));
        assertTrue(Lf.pluralityLost(new long[] {0}, 3));
    }

    /** The linear classifier on the stand-in's 1 x 28 x 28 images, and labels it predicts. */
    private static UndefendedModel linear28() {
        return new UndefendedModel(new LinearClassifier(manager, new Shape(1, 28, 28), 10, 7));
    }

    @Test
    void everyReturnedImageIsWithinTheBoundByTheSameNetwork() {
        UndefendedModel model = linear28();
        int rows = 4;
        // a bound small enough that the attack reaches it (the stand-in's distances are small)
        double eps = 4e-6;
        Lf lf = Lf.diffBreak(eps, Lf.EarlyStop.PLURALITY).withNetwork(lpips).withIterations(30);
        try (NDManager m = manager.newSubManager()) {
            NDArray x = Fixtures.images(m, rows, new Shape(1, 28, 28), 71);
            NDArray y = Fixtures.predictedLabels(model.classifier(), x);
            AttackResult r = lf.run(model, x, y, Fixtures.ids(rows), AttackContext.of(5));
            double[] again;
            try (PtAutograd.Mode off = PtAutograd.disabled()) {
                again = toDouble(Tensors.host(lpips.distance(r.adversarial(), x)));
            }
            double moved = 0;
            for (int i = 0; i < rows; i++) {
                assertTrue(again[i] <= eps + ThreatModel.TOLERANCE, "row " + i + ": " + again[i]);
                assertEquals(again[i], r.distances()[i], 1e-7, "row " + i);
                moved = Math.max(moved, again[i]);
                assertEquals(0, r.trace(i).zeroGradients());
                assertTrue(r.trace(i).gradients() > 0);
            }
            assertTrue(moved > eps / 4, "the attack used its bound: largest distance " + moved);
            double half = moved / 2;
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () ->
                                    ThreatModel.lpips(half)
                                            .checkPerceptual(x, r.adversarial(), lpips, "lf"),
                            "a smaller bound refuses the same images");
            assertTrue(
                    e.getMessage()
                            .matches(
                                    "lf returned row \\d at lpips distance .* outside the bound .*"),
                    e.getMessage());
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void withAZeroDistanceItIsAnUnboundedFilterAttackThatBreaksTheAnalyticDefence() {
        AnalyticDefence defence = AnalyticDefence.standard(manager);
        int rows = 16;
        MixtureDataset data = defence.data(rows, 9);
        float[] pixels = new float[rows * 2];
        long[] labels = new long[rows];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(data.get(i).image(), 0, pixels, 2 * i, 2);
            labels[i] = data.label(i);
        }
        DefendedModel model =
                new DefendedModel(
                        defence.purifier(PurifierSpec.reference(0.1).withDt(1e-2)),
                        defence.classifier(),
                        StoredStatesGradient.exact(),
                        12,
                        0,
                        11);
        // 100 steps of 0.008 move the modifier by at most 0.8: more, to cross a quadrant
        Lf lf =
                Lf.diffBreak(0.05, Lf.EarlyStop.SUCCESS_FRACTION)
                        .withNetwork(ZERO)
                        .withIterations(300);
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(pixels, new Shape(rows, 1, 1, 2));
            NDArray y = m.create(labels);
            AttackResult r = lf.run(model, x, y, Fixtures.ids(rows), AttackContext.of(3));
            int broken = 0;
            for (int i = 0; i < rows; i++) {
                broken += r.trace(i).success() ? 1 : 0;
            }
            assertEquals(rows, broken, "samples broken by the unbounded filter attack");
            // judged afresh by 8 purifications each: most are wrong (the clean: 27%, t* = 0.1)
            double adversarial = freshError(model, r.adversarial(), labels);
            double clean = freshError(model, x, labels);
            assertTrue(adversarial >= 0.8, "fresh error on the returned images " + adversarial);
            assertTrue(clean <= 0.4, "fresh error on the clean images " + clean);
        }
    }

    private static double freshError(DefendedModel model, NDArray images, long[] labels) {
        try (PtAutograd.Mode off = PtAutograd.disabled()) {
            long[] pred =
                    model.logits(images, Fixtures.ids(labels.length), Purpose.TEST, 0, 8)
                            .argMax(2)
                            .toType(ai.djl.ndarray.types.DataType.INT64, false)
                            .toLongArray();
            int wrong = 0;
            for (int i = 0; i < pred.length; i++) {
                wrong += pred[i] != labels[i / 8] ? 1 : 0;
            }
            return wrong / (double) pred.length;
        }
    }

    /** A deterministic model seen as N identical purified copies (EOT N, every copy the same). */
    private static TargetModel copiesOf(UndefendedModel base, int n) {
        return new TargetModel() {
            @Override
            public Evaluation lossAndGradient(
                    NDArray x,
                    NDArray labels,
                    long[] sampleIds,
                    Objective objective,
                    Purpose purpose,
                    long draw) {
                Evaluation e = base.lossAndGradient(x, labels, sampleIds, objective, purpose, draw);
                return new Evaluation(
                        e.loss(), e.logits().repeat(1, n), e.gradient(), e.diagnostics());
            }

            @Override
            public NDArray logits(
                    NDArray x, long[] sampleIds, Purpose purpose, long draw, int copies) {
                return base.logits(x, sampleIds, purpose, draw, copies);
            }

            @Override
            public int classes() {
                return base.classes();
            }

            @Override
            public int eot() {
                return n;
            }

            @Override
            public boolean isRandomized() {
                return false;
            }

            @Override
            public String describe() {
                return base.describe() + " x" + n;
            }
        };
    }

    /** The classifier with every logit multiplied by s. */
    private static Classifier scaled(Classifier c, float s) {
        return new Classifier() {
            @Override
            public NDArray logits(NDArray x) {
                return c.logits(x).mul(s);
            }

            @Override
            public int classes() {
                return c.classes();
            }

            @Override
            public Shape imageShape() {
                return c.imageShape();
            }

            @Override
            public String describe() {
                return c.describe() + " x" + s;
            }
        };
    }

    /**
     * DiffBreak sums its objective over the N copies (margin per copy, and the distance penalty
     * broadcast to every copy: N c d [d >= eps]), and clipping to norm 1 then Adam is not invariant
     * to that factor N. So N identical copies of a classifier must move exactly as one copy of the
     * classifier with its logits times N (the distance is 0, so only the margin acts).
     */
    @Test
    void theObjectiveIsSummedOverTheCopiesAsDiffBreaks() {
        int n = 64;
        // logits small enough that one copy's gradient is never clipped and N copies' always is
        UndefendedModel base = new UndefendedModel(scaled(linear28().classifier(), 1e-5f));
        UndefendedModel times = new UndefendedModel(scaled(base.classifier(), n));
        Lf lf =
                Lf.diffBreak(0.05, Lf.EarlyStop.SUCCESS_FRACTION)
                        .withNetwork(ZERO)
                        .withIterations(20);
        try (NDManager m = manager.newSubManager()) {
            NDArray x = Fixtures.images(m, 2, new Shape(1, 28, 28), 91);
            NDArray y = Fixtures.predictedLabels(base.classifier(), x);
            float[] many =
                    lf.run(copiesOf(base, n), x, y, Fixtures.ids(2), AttackContext.of(4))
                            .adversarial()
                            .toFloatArray();
            float[] one =
                    lf.run(times, x, y, Fixtures.ids(2), AttackContext.of(4))
                            .adversarial()
                            .toFloatArray();
            assertArrayEquals(one, many, 1e-6f);
            assertFalse(java.util.Arrays.equals(many, x.toFloatArray()), "the attack moved");
        }
    }

    @Test
    void aRowsResultDoesNotDependOnItsBatch() {
        UndefendedModel model = linear28();
        Lf lf = Lf.diffBreak(0.02, Lf.EarlyStop.PLURALITY).withNetwork(lpips).withIterations(6);
        try (NDManager m = manager.newSubManager()) {
            NDArray x = Fixtures.images(m, 3, new Shape(1, 28, 28), 81);
            NDArray y = Fixtures.predictedLabels(model.classifier(), x);
            long[] ids = Fixtures.ids(3);
            AttackResult all = lf.run(model, x, y, ids, AttackContext.of(8));
            AttackResult one =
                    lf.run(
                            model,
                            x.get("1:2"),
                            y.get("1:2"),
                            new long[] {ids[1]},
                            AttackContext.of(8));
            assertArrayEquals(
                    one.adversarial().toFloatArray(),
                    all.adversarial().get("1:2").toFloatArray(),
                    1e-6f);
            assertEquals(one.trace(0), all.trace(1));
        }
    }

    @Test
    void withoutANetworkOrWithAPixelBoundItRefuses() {
        UndefendedModel model = linear28();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = Fixtures.images(m, 1, new Shape(1, 28, 28), 91);
            NDArray y = Fixtures.predictedLabels(model.classifier(), x);
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () ->
                                    Lf.diffBreak(0.05, Lf.EarlyStop.PLURALITY)
                                            .run(
                                                    model,
                                                    x,
                                                    y,
                                                    Fixtures.ids(1),
                                                    AttackContext.of(1)));
            assertTrue(e.getMessage().contains("model.perceptual"), e.getMessage());
        }
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Lf.diffBreak(0.05, Lf.EarlyStop.PLURALITY)
                                        .withEps(0.1)
                                        .threat()
                                        .withEps(0.1)
                                        .requireImageBall("apgd-ce"));
        assertTrue(e.getMessage().contains("use lf"), e.getMessage());
    }
}
