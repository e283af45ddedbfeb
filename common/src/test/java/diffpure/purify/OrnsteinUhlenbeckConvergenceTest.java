package diffpure.purify;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.synthetic.GaussianScoreModel;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.NoiseSource;
import diffpure.noise.Purpose;
import diffpure.sde.LinearEpsSde;
import diffpure.sde.ReverseChain;
import diffpure.sde.TimeGrid;
import diffpure.sde.VpSchedule;
import diffpure.solver.EulerMaruyama;
import org.junit.jupiter.api.Test;

/**
 * Euler-Maruyama through the product's own stepping loop on dY = -theta Y ds + sigma dW: additive
 * noise, so the strong order is 1. Coarse grids use the sums of the finest grid's Brownian
 * increments, so all refinements follow the same paths; the finest grid is the reference.
 */
class OrnsteinUhlenbeckConvergenceTest {
    private static final double THETA = 2.0;
    private static final double SIGMA = 0.8;
    private static final int PATHS = 4000;
    private static final int FINEST = 1 << 11;

    /** The OU problem in the chain's form: drift -theta y, no model. */
    private record Ou() implements LinearEpsSde {
        @Override
        public double stateDrift(double t) {
            return -THETA;
        }

        @Override
        public double epsDrift(double t) {
            return 0;
        }

        @Override
        public double diffusion(double t) {
            return SIGMA;
        }

        @Override
        public String name() {
            return "ou";
        }
    }

    /** Standard normals for a coarse step: the normalised sum of the finest steps it covers. */
    private record RefinedBrownian(int coarseSteps, int firstRow, int rows) implements NoiseSource {
        @Override
        public NDArray draw(NDManager manager, long step, Shape imageShape) {
            float[] out = new float[rows];
            if (step >= 0) {
                int ratio = FINEST / coarseSteps;
                float[] fine = new float[1];
                for (int r = 0; r < rows; r++) {
                    double sum = 0;
                    for (int j = 0; j < ratio; j++) {
                        GaussianNoise.fill(
                                new NoiseKey(11, firstRow + r, Purpose.TEST, 0, 0),
                                step * ratio + j,
                                fine,
                                0,
                                1);
                        sum += fine[0];
                    }
                    out[r] = (float) (sum / Math.sqrt(ratio));
                }
            }
            return manager.create(out, new Shape(rows, 1, 1, 1));
        }

        @Override
        public NoiseSource slice(int from, int to) {
            return new RefinedBrownian(coarseSteps, firstRow + from, to - from);
        }
    }

    @Test
    void strongOrderIsOneAsDtHalves() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x0 = manager.full(new Shape(PATHS, 1, 1, 1), 0.9f); // y_0 = 2x - 1 = 0.8
            double[] finest = endpoints(manager, x0, FINEST);
            int[] levels = {8, 16, 32, 64, 128};
            double[] errors = new double[levels.length];
            for (int i = 0; i < levels.length; i++) {
                double[] coarse = endpoints(manager, x0, levels[i]);
                double e = 0;
                for (int p = 0; p < PATHS; p++) {
                    e += Math.abs(coarse[p] - finest[p]);
                }
                errors[i] = e / PATHS;
            }
            // least-squares slope of log2(error) against log2(dt)
            double mx = 0;
            double my = 0;
            for (int i = 0; i < levels.length; i++) {
                mx += -Math.log(levels[i]) / Math.log(2);
                my += Math.log(errors[i]) / Math.log(2);
            }
            mx /= levels.length;
            my /= levels.length;
            double num = 0;
            double den = 0;
            for (int i = 0; i < levels.length; i++) {
                double dx = -Math.log(levels[i]) / Math.log(2) - mx;
                num += dx * (Math.log(errors[i]) / Math.log(2) - my);
                den += dx * dx;
            }
            double slope = num / den;
            assertTrue(
                    slope > 0.85 && slope < 1.2,
                    "strong order " + slope + " from errors " + java.util.Arrays.toString(errors));
        }
    }

    private static double[] endpoints(NDManager manager, NDArray x0, int steps) {
        ReverseChain chain = EulerMaruyama.chain(new Ou(), TimeGrid.of(1.0, 0.0, 1.0 / steps), 1.0);
        GaussianScoreModel unused =
                new GaussianScoreModel(VpSchedule.DEFAULT, new Shape(1, 1, 1), 0, 1);
        DiffusionPurifier purifier = new DiffusionPurifier(unused, chain);
        NDArray out = purifier.purify(x0, new RefinedBrownian(steps, 0, PATHS));
        float[] v = out.toFloatArray();
        double[] y = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            y[i] = 2.0 * v[i] - 1; // back from the output map (y + 1) / 2
        }
        return y;
    }
}
