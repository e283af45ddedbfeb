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
 * @param coarsening how the integrator rebuilds this chain on a coarser grid of its own points
 *     (surrogate gradients); null when it cannot
 * @param stateAlphaBars alpha-bar_k of the forward process's marginal at the time of each state y_0
 *     .. y_N (y_0's is alphaBarStar), what DiffAttack's deviation loss diffuses the input to; null
 *     when the problem has no such marginal
 */
public record ReverseChain(
        String name,
        double alphaBarStar,
        double startTime,
        List<ChainStep> steps,
        Coarsening coarsening,
        List<Double> stateAlphaBars) {

    /**
     * Rebuilds a chain over the same time interval with coarse step k spanning fine steps
     * [starts[k], starts[k + 1]). Implementations are value records (equal recipes give equal
     * chains).
     */
    public interface Coarsening {
        /** The coarse chain, its spans and the weights of the fine draws in the coarse ones. */
        CoarseChain coarsen(int[] starts);
    }

    /** A chain no integrator can coarsen, without state alpha-bars. */
    public ReverseChain(String name, double alphaBarStar, double startTime, List<ChainStep> steps) {
        this(name, alphaBarStar, startTime, steps, null, null);
    }

    public ReverseChain {
        if (!(alphaBarStar > 0 && alphaBarStar <= 1)) {
            throw new IllegalArgumentException(
                    "alpha-bar* must be in (0, 1], found " + alphaBarStar);
        }
        steps = List.copyOf(steps);
        if (stateAlphaBars != null) {
            stateAlphaBars = List.copyOf(stateAlphaBars);
            if (stateAlphaBars.size() != steps.size() + 1
                    || stateAlphaBars.stream().anyMatch(a -> !(a > 0 && a <= 1))) {
                throw new IllegalArgumentException(
                        "a chain of "
                                + steps.size()
                                + " steps needs "
                                + (steps.size() + 1)
                                + " state alpha-bars in (0, 1], found "
                                + stateAlphaBars);
            }
        }
    }

    /**
     * alpha-bar_k of state y_k, 0 &lt;= k &lt;= N.
     *
     * @throws IllegalArgumentException naming attack.deviation-weight when the chain has none
     */
    public double stateAlphaBar(int k) {
        if (stateAlphaBars == null) {
            throw new IllegalArgumentException(
                    "attack.deviation-weight needs the forward process's alpha-bar at each state of"
                            + " the chain, which "
                            + name
                            + " does not define");
        }
        return stateAlphaBars.get(k);
    }

    /**
     * This chain rebuilt with {@code steps} steps spanning its own as evenly as they can ({@link
     * CoarseChain#evenStarts}); with as many steps as this chain, the chain itself.
     *
     * @throws IllegalArgumentException naming attack.surrogate-steps when steps is not in [1,
     *     length()], or the chain when its integrator cannot coarsen it
     */
    public CoarseChain coarsened(int steps) {
        if (coarsening == null) {
            throw new IllegalArgumentException(
                    "the chain "
                            + name
                            + " cannot be coarsened for attack.gradient-mode = surrogate");
        }
        return coarsening.coarsen(CoarseChain.evenStarts(length(), steps));
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
