package diffpure.sde;

import java.util.List;

/**
 * A complete purification recipe as data: forward diffusion y_0 = sqrt(alphaBarStar) u + sqrt(1 -
 * alphaBarStar) z of the centred image u = 2x - 1, then the reverse steps, then x' = (y_N + 1) / 2.
 *
 * @param name short description for logs and result rows, e.g. "vp-sde-em t*=0.1 dt=0.001"
 * @param alphaBarStar the alpha-bar of the forward-diffusion step (the same value the gradient
 *     uses)
 * @param startTime t*, for checks against a model's trained range
 * @param steps the reverse steps, in order
 */
public record ReverseChain(
        String name, double alphaBarStar, double startTime, List<ChainStep> steps) {
    public ReverseChain {
        if (!(alphaBarStar > 0 && alphaBarStar <= 1)) {
            throw new IllegalArgumentException(
                    "alpha-bar* must be in (0, 1], found " + alphaBarStar);
        }
        steps = List.copyOf(steps);
    }

    /** Number of reverse steps N. */
    public int length() {
        return steps.size();
    }

    /** Step k. */
    public ChainStep step(int k) {
        return steps.get(k);
    }

    /** Coefficient of the centred image in y_0. */
    public double forwardSignalScale() {
        return Math.sqrt(alphaBarStar);
    }

    /** Coefficient of the forward-diffusion draw in y_0. */
    public double forwardNoiseScale() {
        return Math.sqrt(1 - alphaBarStar);
    }

    /**
     * Smallest and largest model time the chain evaluates, for checks against a model's trained
     * range.
     */
    public double[] modelTimeRange() {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (ChainStep s : steps) {
            if (s.usesModel()) {
                lo = Math.min(lo, s.modelTime());
                hi = Math.max(hi, s.modelTime());
            }
        }
        return new double[] {lo, hi};
    }
}
