package diffpure.sde;

/**
 * The variance-preserving schedule: beta(t) = betaMin + t (betaMax - betaMin) on t in [0, 1], and
 * its discrete 1000-step DDPM counterpart beta_i = linspace(betaMin/1000, betaMax/1000) used by the
 * reference implementation for the forward-diffusion step.
 *
 * @param betaMin beta(0), 0.1 for every official model
 * @param betaMax beta(1), 20 for every official model
 */
public record VpSchedule(double betaMin, double betaMax) {
    /** Number of steps of the discrete DDPM schedule. */
    public static final int DISCRETE_STEPS = 1000;

    /** The schedule every official checkpoint was trained with. */
    public static final VpSchedule DEFAULT = new VpSchedule(0.1, 20.0);

    public VpSchedule {
        if (!(betaMin > 0) || !(betaMax > betaMin) || !Double.isFinite(betaMax)) {
            throw new IllegalArgumentException(
                    "VP schedule needs 0 < beta-min < beta-max, found beta-min="
                            + betaMin
                            + ", beta-max="
                            + betaMax);
        }
    }

    /** beta(t). */
    public double beta(double t) {
        return betaMin + t * (betaMax - betaMin);
    }

    /** The continuous alpha-bar(t) = exp(-betaMin t - (betaMax - betaMin) t^2 / 2). */
    public double alphaBar(double t) {
        return Math.exp(-betaMin * t - 0.5 * (betaMax - betaMin) * t * t);
    }

    /**
     * sqrt(1 - alpha-bar(t)): the standard deviation of the noise in y_t, and the score's scale.
     */
    public double sigma(double t) {
        return Math.sqrt(-Math.expm1(-betaMin * t - 0.5 * (betaMax - betaMin) * t * t));
    }

    /** beta_i of the discrete schedule, i in [0, 1000). */
    public double discreteBeta(int i) {
        checkIndex(i);
        double lo = betaMin / DISCRETE_STEPS;
        double hi = betaMax / DISCRETE_STEPS;
        return lo + (hi - lo) * i / (DISCRETE_STEPS - 1);
    }

    /** Discrete alpha-bar_i = prod_{j <= i} (1 - beta_j), i in [0, 1000). */
    public double discreteAlphaBar(int i) {
        checkIndex(i);
        double logProduct = 0;
        for (int j = 0; j <= i; j++) {
            logProduct += Math.log1p(-discreteBeta(j));
        }
        return Math.exp(logProduct);
    }

    /**
     * The discrete index the reference uses for diffusion time tStar: round(tStar * 1000) - 1.
     *
     * @throws IllegalArgumentException when tStar * 1000 is not (close to) a whole number of steps
     */
    public static int discreteIndex(double tStar) {
        double steps = tStar * DISCRETE_STEPS;
        long rounded = Math.round(steps);
        if (Math.abs(steps - rounded) > 1e-6 || rounded < 1 || rounded > DISCRETE_STEPS) {
            throw new IllegalArgumentException(
                    "t* = "
                            + tStar
                            + " is not a whole number of the 1000 discrete DDPM steps; use"
                            + " forward-alpha-bar = continuous, or a t* such as 0.1");
        }
        return (int) rounded - 1;
    }

    private static void checkIndex(int i) {
        if (i < 0 || i >= DISCRETE_STEPS) {
            throw new IllegalArgumentException("discrete step must be in [0, 1000), found " + i);
        }
    }
}
