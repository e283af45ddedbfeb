package diffpure.eval;

import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * A proportion with its 95% Wilson score interval.
 *
 * @param estimate successes / trials (NaN when there are no trials)
 * @param lower lower bound
 * @param upper upper bound
 * @param trials number of trials
 */
public record Interval(double estimate, double lower, double upper, long trials) {
    private static final double Z95 =
            new NormalDistribution(null, 0, 1).inverseCumulativeProbability(0.975);

    /**
     * The Wilson score interval (Wilson 1927) at 95%. Successes may be fractional (mean-of-K sums
     * fractions of votes); with no trials the interval is [0, 1].
     */
    public static Interval wilson(double successes, long trials) {
        if (trials < 0 || successes < 0 || successes > trials) {
            throw new IllegalArgumentException(
                    "need 0 <= successes <= trials, found " + successes + " of " + trials);
        }
        if (trials == 0) {
            return new Interval(Double.NaN, 0, 1, 0);
        }
        double n = trials;
        double p = successes / n;
        double z2 = Z95 * Z95;
        double denom = 1 + z2 / n;
        double centre = (p + z2 / (2 * n)) / denom;
        double half = Z95 / denom * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return new Interval(p, Math.max(0, centre - half), Math.min(1, centre + half), trials);
    }

    @Override
    public String toString() {
        return String.format("%.4f [%.4f, %.4f] (n=%d)", estimate, lower, upper, trials);
    }
}
