package diffpure.model.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import diffpure.purify.ChainRunner;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.VpSchedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The analytic defence: its score is exact, its purification samples the closed-form posterior. */
class AnalyticDefenceTest {
    private static final VpSchedule SCHEDULE = VpSchedule.DEFAULT;
    private static NDManager manager;
    private static AnalyticDefence defence;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        defence = AnalyticDefence.standard(manager);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void scoreEqualsFiniteDifferencesOfTheDiffusedLogDensity() {
        GaussianMixture mix = defence.mixture();
        double h = 1e-5;
        double[][] points = {{0.1, -0.2}, {0.45, 0.5}, {-0.9, 0.05}, {0.0, 0.0}, {0.3, -0.7}};
        for (double t : new double[] {1e-3, 0.02, 0.1, 0.4, 1.0}) {
            double abar = SCHEDULE.alphaBar(t);
            try (NDManager scope = manager.newSubManager()) {
                double[] flat = new double[points.length * 2];
                for (int i = 0; i < points.length; i++) {
                    flat[2 * i] = Math.sqrt(abar) * points[i][0];
                    flat[2 * i + 1] = Math.sqrt(abar) * points[i][1];
                }
                NDArray y = scope.create(flat, new Shape(points.length, 1, 1, 2));
                float[] times = new float[points.length];
                Arrays.fill(times, (float) t);
                double[] eps =
                        defence.scoreModel().predictNoise(y, scope.create(times)).toDoubleArray();
                double sigma = Math.sqrt(1 - abar);
                for (int i = 0; i < points.length; i++) {
                    double[] yi = {flat[2 * i], flat[2 * i + 1]};
                    for (int d = 0; d < 2; d++) {
                        double[] up = yi.clone();
                        double[] down = yi.clone();
                        up[d] += h;
                        down[d] -= h;
                        double fd =
                                (mix.logDensity(up, abar) - mix.logDensity(down, abar)) / (2 * h);
                        double score = -eps[2 * i + d] / sigma;
                        assertEquals(
                                fd,
                                score,
                                1e-6 * (1 + Math.abs(fd)),
                                "t = " + t + ", point " + i + ", coordinate " + d);
                    }
                }
            }
        }
    }

    @Test
    void float32ScoreAgreesWithFloat64() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray y = scope.create(new float[] {0.2f, -0.1f, 0.5f, 0.4f}, new Shape(2, 1, 1, 2));
            NDArray t = scope.create(new float[] {0.1f, 0.1f});
            NDArray eps32 = defence.scoreModel().predictNoise(y, t);
            NDArray eps64 = defence.scoreModel().predictNoise(y.toType(DataType.FLOAT64, false), t);
            assertEquals(DataType.FLOAT32, eps32.getDataType());
            double[] a = eps64.toDoubleArray();
            float[] b = eps32.toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-5, "float32 eps, element " + i);
            }
        }
    }

    /**
     * Copies of the reverse SDE started from one diffused image y at t* land in each Bayes region
     * with the class masses w_c(y) of the closed-form posterior p(u_0 | y), a Gaussian mixture
     * whose components each sit deep inside their own region (the mass a component puts outside it,
     * at most {@link #leak}, is asserted below 1e-4). 4000 copies: within three Monte-Carlo
     * standard errors at dt = 2.5e-4, whose discretisation error is below that: with 10^5 copies
     * the masses were within 1.9 standard errors (0.0025) of w_c at t* = 0.05, 0.1 and 0.2 (at dt =
     * 1e-3 they were 0.0086 off at t* = 0.05, 6.5 standard errors of 10^5 copies). Two steps (dt =
     * t* / 2) miss by 57 to 86 standard errors of 10^5 copies, more than 5 of 4000 here.
     */
    @Test
    void purifiedCopiesFollowTheClosedFormPosterior() {
        GaussianMixture mix = defence.mixture();
        int rows = 4000;
        for (double tStar : new double[] {0.05, 0.1, 0.2}) {
            double abar = SCHEDULE.alphaBar(tStar);
            double[] y0 = start(mix, abar);
            GaussianMixture.Posterior post = mix.posterior(y0, abar);
            double[] w = post.weights();
            assertTrue(leak(mix, post) < 1e-4, "posterior components inside their regions");
            assertTrue(
                    Arrays.stream(w).filter(v -> v > 0.15).count() >= 2,
                    "an informative start: " + Arrays.toString(w));
            double[] fine = purifiedClassMasses(tStar, 2.5e-4, y0, rows);
            double[] coarse = purifiedClassMasses(tStar, tStar / 2, y0, rows);
            double coarseWorst = 0;
            for (int c = 0; c < w.length; c++) {
                double se = Math.sqrt(w[c] * (1 - w[c]) / rows);
                assertEquals(
                        w[c],
                        fine[c],
                        3 * se + leak(mix, post),
                        "t* = " + tStar + ", class " + c + ": " + Arrays.toString(fine));
                coarseWorst = Math.max(coarseWorst, Math.abs(coarse[c] - w[c]) / se);
            }
            assertTrue(
                    coarseWorst > 5,
                    "t* = "
                            + tStar
                            + ": two steps should miss the posterior, off by "
                            + coarseWorst
                            + " standard errors");
        }
    }

    @Test
    void dataFollowTheMixtureAndTheBayesRuleClassifiesThem() {
        MixtureDataset data = defence.data(400, 3);
        int right = 0;
        try (NDManager scope = manager.newSubManager()) {
            float[] pixels = new float[400 * 2];
            for (int i = 0; i < 400; i++) {
                System.arraycopy(data.get(i).image(), 0, pixels, 2 * i, 2);
                assertEquals(i % 4, data.label(i));
            }
            long[] pred =
                    defence.classifier()
                            .logits(scope.create(pixels, new Shape(400, 1, 1, 2)))
                            .argMax(1)
                            .toLongArray();
            for (int i = 0; i < 400; i++) {
                right += pred[i] == data.label(i) ? 1 : 0;
                double[] u = {2 * pixels[2 * i] - 1, 2 * pixels[2 * i + 1] - 1};
                assertEquals(defence.mixture().bayesClass(u), pred[i], "sample " + i);
            }
        }
        assertEquals(400, right, "4.9 standard deviations from every boundary");
    }

    /** Upper bound of the mass the posterior's components put outside their own Bayes region. */
    static double leak(GaussianMixture mix, GaussianMixture.Posterior post) {
        double total = 0;
        for (int c = 0; c < post.weights().length; c++) {
            for (int o = 0; o < post.weights().length; o++) {
                if (o != c) {
                    double z = mix.distanceToBoundary(post.means()[c], c, o) / post.std();
                    total += post.weights()[c] * 0.5 * Erf.erfc(z / Math.sqrt(2));
                }
            }
        }
        return total;
    }

    /** A diffused start whose class posterior spreads over three classes. */
    static double[] start(GaussianMixture mix, double abar) {
        double[] y = new double[mix.dimension()];
        double[] a = mix.mean(0);
        double[] b = mix.mean(1);
        double[] c = mix.mean(2);
        for (int d = 0; d < y.length; d++) {
            y[d] = Math.sqrt(abar) * (0.45 * a[d] + 0.4 * b[d] + 0.15 * c[d]);
        }
        return y;
    }

    /**
     * Fractions of `rows` reverse-chain copies from y0 at t* that the Bayes rule puts in each
     * class.
     */
    static double[] purifiedClassMasses(double tStar, double dt, double[] y0, int rows) {
        PurifierSpec spec =
                new PurifierSpec(
                        PurifierSpec.Kind.VP_SDE, tStar, 1e-5, dt, 0, ForwardAlphaBar.CONTINUOUS);
        DiffusionPurifier p = defence.purifier(spec);
        List<NoiseKey> keys = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            keys.add(new NoiseKey(7, r, Purpose.TEST, 0, 0));
        }
        try (NDManager scope = manager.newSubManager()) {
            float[] start = new float[rows * y0.length];
            for (int r = 0; r < rows; r++) {
                for (int d = 0; d < y0.length; d++) {
                    start[r * y0.length + d] = (float) y0[d];
                }
            }
            NDArray y = scope.create(start, new Shape(rows).addAll(p.imageShape()));
            float[] out =
                    ChainRunner.over(p, new RowNoise(keys))
                            .run(0, p.chain().length(), y)
                            .toFloatArray();
            double[] counts = new double[defence.mixture().classes()];
            double[] u = new double[y0.length];
            for (int r = 0; r < rows; r++) {
                for (int d = 0; d < u.length; d++) {
                    u[d] = out[r * u.length + d];
                }
                counts[defence.mixture().bayesClass(u)] += 1.0 / rows;
            }
            return counts;
        }
    }
}
