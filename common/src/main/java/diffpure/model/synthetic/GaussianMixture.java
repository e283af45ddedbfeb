package diffpure.model.synthetic;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * A Gaussian mixture in the centred image space u = 2x - 1: class c has weight pi_c and law N(mu_c,
 * s^2 I). Everything the analytic defence needs has a closed form here, in double precision: the
 * mixture diffused by the VP forward process to alpha-bar a (each class becomes N(sqrt(a) mu_c, v
 * I) with v = a s^2 + 1 - a), its log-density and score, and the posterior of the clean image given
 * a diffused one, p(u_0 | y) = sum_c w_c(y) N(m_c(y), tau^2 I) with w_c(y) the class posterior of
 * y, tau^2 = s^2 (1 - a) / v and m_c(y) = tau^2 (mu_c / s^2 + sqrt(a) y / (1 - a)). Immutable.
 */
public final class GaussianMixture {
    private final Shape imageShape;
    private final double[][] means;
    private final double std;
    private final double[] logWeights;

    /**
     * @param imageShape per-image shape [C, H, W]; its size is the dimension D
     * @param means K class means, each of length D, in [-1, 1] space
     * @param std the common per-coordinate standard deviation s &gt; 0
     * @param weights K class weights, positive (normalised here)
     * @throws IllegalArgumentException when the sizes disagree or a value is out of range
     */
    public GaussianMixture(Shape imageShape, double[][] means, double std, double[] weights) {
        int dim = (int) imageShape.size();
        if (means.length < 2 || weights.length != means.length) {
            throw new IllegalArgumentException(
                    "a mixture needs >= 2 classes and one weight per class, found "
                            + means.length
                            + " means and "
                            + weights.length
                            + " weights");
        }
        if (!(std > 0)) {
            throw new IllegalArgumentException("mixture std must be > 0, found " + std);
        }
        double total = 0;
        for (double w : weights) {
            if (!(w > 0)) {
                throw new IllegalArgumentException(
                        "mixture weights must be > 0, found " + Arrays.toString(weights));
            }
            total += w;
        }
        this.imageShape = imageShape;
        this.means = new double[means.length][];
        this.logWeights = new double[means.length];
        for (int c = 0; c < means.length; c++) {
            if (means[c].length != dim) {
                throw new IllegalArgumentException(
                        "class " + c + " mean has " + means[c].length + " values, need " + dim);
            }
            this.means[c] = means[c].clone();
            this.logWeights[c] = Math.log(weights[c] / total);
        }
        this.std = std;
    }

    /**
     * K equal-weight classes on a circle of the given radius in the plane of the first two
     * coordinates of a 2-pixel image [1, 1, 2], the first at angle pi / K: with K = 4 the Bayes
     * regions are the four quadrants.
     */
    public static GaussianMixture onCircle(int classes, double radius, double std) {
        double[][] means = new double[classes][];
        double[] weights = new double[classes];
        for (int c = 0; c < classes; c++) {
            double angle = Math.PI / classes + 2 * Math.PI * c / classes;
            means[c] = new double[] {radius * Math.cos(angle), radius * Math.sin(angle)};
            weights[c] = 1;
        }
        return new GaussianMixture(new Shape(1, 1, 2), means, std, weights);
    }

    public Shape imageShape() {
        return imageShape;
    }

    /** Number of classes K. */
    public int classes() {
        return means.length;
    }

    /** The dimension D of an image. */
    public int dimension() {
        return means[0].length;
    }

    /** Class c's mean (a copy). */
    public double[] mean(int c) {
        return means[c].clone();
    }

    /** The common standard deviation s. */
    public double std() {
        return std;
    }

    /** log pi_c. */
    public double logWeight(int c) {
        return logWeights[c];
    }

    /** The per-coordinate variance v = a s^2 + 1 - a of every class diffused to alpha-bar a. */
    public double diffusedVariance(double alphaBar) {
        return alphaBar * std * std + 1 - alphaBar;
    }

    /** log p_a(y) of the mixture diffused to alpha-bar a (a = 1: the clean mixture). */
    public double logDensity(double[] y, double alphaBar) {
        double[] joint = logJoint(y, alphaBar);
        return logSumExp(joint);
    }

    /** The class posterior w_c(y) = p(c | y) of an image y diffused to alpha-bar a. */
    public double[] classPosterior(double[] y, double alphaBar) {
        double[] joint = logJoint(y, alphaBar);
        double norm = logSumExp(joint);
        double[] w = new double[joint.length];
        for (int c = 0; c < w.length; c++) {
            w[c] = Math.exp(joint[c] - norm);
        }
        return w;
    }

    /** The score grad_y log p_a(y). */
    public double[] score(double[] y, double alphaBar) {
        double[] w = classPosterior(y, alphaBar);
        double v = diffusedVariance(alphaBar);
        double root = Math.sqrt(alphaBar);
        double[] s = new double[y.length];
        for (int c = 0; c < w.length; c++) {
            for (int d = 0; d < y.length; d++) {
                s[d] += w[c] * (root * means[c][d] - y[d]) / v;
            }
        }
        return s;
    }

    /**
     * The posterior p(u_0 | y_a = y) of the clean image given its diffusion to alpha-bar a, a
     * Gaussian mixture.
     */
    public Posterior posterior(double[] y, double alphaBar) {
        double v = diffusedVariance(alphaBar);
        double tau2 = std * std * (1 - alphaBar) / v;
        double root = Math.sqrt(alphaBar);
        double[][] m = new double[means.length][y.length];
        for (int c = 0; c < means.length; c++) {
            for (int d = 0; d < y.length; d++) {
                m[c][d] = tau2 * (means[c][d] / (std * std) + root * y[d] / (1 - alphaBar));
            }
        }
        return new Posterior(classPosterior(y, alphaBar), m, Math.sqrt(tau2));
    }

    /**
     * A Gaussian mixture posterior: weights w_c, means m_c, common std tau.
     *
     * @param weights class masses w_c
     * @param means component means m_c
     * @param std component standard deviation tau
     */
    public record Posterior(double[] weights, double[][] means, double std) {}

    /** The Bayes rule of the clean mixture: argmax_c log pi_c - |u - mu_c|^2 / (2 s^2). */
    public int bayesClass(double[] u) {
        double[] joint = logJoint(u, 1);
        int best = 0;
        for (int c = 1; c < joint.length; c++) {
            if (joint[c] > joint[best]) {
                best = c;
            }
        }
        return best;
    }

    /**
     * The distance from a point to the Bayes boundary between classes c and other of the clean
     * mixture (a hyperplane, as the classes share one variance), positive on c's side.
     */
    public double distanceToBoundary(double[] u, int c, int other) {
        double diff2 = 0;
        double gap = 2 * std * std * (logWeights[c] - logWeights[other]);
        double dc = 0;
        double dother = 0;
        for (int d = 0; d < u.length; d++) {
            double e = means[c][d] - means[other][d];
            diff2 += e * e;
            dc += (u[d] - means[c][d]) * (u[d] - means[c][d]);
            dother += (u[d] - means[other][d]) * (u[d] - means[other][d]);
        }
        return (dother - dc + gap) / (2 * Math.sqrt(diff2));
    }

    /** log pi_c + log N(y; sqrt(a) mu_c, v I) per class. */
    private double[] logJoint(double[] y, double alphaBar) {
        double v = alphaBar == 1 ? std * std : diffusedVariance(alphaBar);
        double root = Math.sqrt(alphaBar);
        double[] out = new double[means.length];
        for (int c = 0; c < means.length; c++) {
            double d2 = 0;
            for (int d = 0; d < y.length; d++) {
                double e = y[d] - root * means[c][d];
                d2 += e * e;
            }
            out[c] = logWeights[c] - d2 / (2 * v) - 0.5 * y.length * Math.log(2 * Math.PI * v);
        }
        return out;
    }

    private static double logSumExp(double[] a) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : a) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (double x : a) {
            sum += Math.exp(x - max);
        }
        return max + Math.log(sum);
    }

    @Override
    public String toString() {
        return "gaussian-mixture(classes="
                + means.length
                + ", dim="
                + dimension()
                + ", std="
                + std
                + ")";
    }
}
