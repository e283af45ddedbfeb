package diffpure.eval;

import java.util.Arrays;

/**
 * An anytime-valid 1 - alpha confidence sequence for the mean of a [0, 1]-bounded quantity: the
 * hedged betting capital process of Waudby-Smith and Ramdas ("Estimating means of bounded random
 * variables by betting", JRSS-B 86(1), 2024) with predictable plug-in bets and their running
 * intersection. With probability at least 1 - alpha the mean lies inside the interval at every
 * sample count simultaneously, so the interval stays valid at a data-dependent stopping time (stop
 * when it is narrow enough), where a Wilson interval does not.
 *
 * <p>Two versions. {@link #withReplacement} assumes the values are independent with a common
 * conditional mean (an i.i.d. stream). {@link #withoutReplacement} is their finite-population
 * version: the values are a uniformly random order of a fixed population of {@code N} values and
 * the sequence covers that population's mean; under the null mean m the t-th value's conditional
 * mean is (N m - S_{t-1}) / (N - t + 1), so the interval shrinks to the exact mean at t = N. A run
 * evaluates its test set in the seeded order (a random order without replacement) and each sample's
 * outcome is fixed by its own seeds, so the without-replacement version with N = the set's size
 * covers the metric the run would report on the whole set.
 *
 * <p>The capital against a null mean m is K+ = prod (1 + l+ (x - mu)), K- = prod (1 - l- (x - mu))
 * with mu the null's conditional mean, bets l+ = min(b, c / mu), l- = min(b, c / (1 - mu)), c =
 * 1/2, and the plug-in b_t = sqrt(2 log(2 / alpha) / (s2_{t-1} t log(1 + t))), s2 the regularised
 * running variance. m is excluded once max(K+, K-) / 2 reaches 1 / alpha (Ville's inequality on the
 * martingale (K+ + K-) / 2). K+ falls and K- rises with m, so the set is an interval: its bounds
 * are tracked on a grid of candidate means (each candidate dropped for good once excluded, so the
 * running intersection is free) and refined at query time by bisection.
 */
public final class ConfidenceSequence {
    /** The bet cap c: factors stay at least 1 - c, so the capital never reaches zero. */
    private static final double TRUNCATION = 0.5;

    /** Candidate means tracked between queries: j / GRID for j = 0..GRID. */
    static final int GRID = 1000;

    private static final int BISECTIONS = 50;

    /** Conditional means this far outside [0, 1] are rounding, not evidence. */
    private static final double ROUNDING = 1e-12;

    private final double alpha;
    private final long population;
    private final double threshold;
    private final double[] grid;
    private final double[] logPlus;
    private final double[] logMinus;
    private int lo;
    private int hi;

    private double[] values = new double[64];
    private double[] bets = new double[64];
    private double[] sumsBefore = new double[64];
    private int n;
    private double sum;
    private double squares;

    private ConfidenceSequence(double alpha, long population, double[] grid) {
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("alpha must be in (0, 1), found " + alpha);
        }
        this.alpha = alpha;
        this.population = population;
        this.threshold = Math.log(2 / alpha);
        this.grid = grid.clone();
        this.logPlus = new double[grid.length];
        this.logMinus = new double[grid.length];
        this.lo = 0;
        this.hi = grid.length - 1;
    }

    /** The sequence for an i.i.d. stream of values in [0, 1]. */
    public static ConfidenceSequence withReplacement(double alpha) {
        return new ConfidenceSequence(alpha, 0, uniformGrid());
    }

    /**
     * The sequence for values drawn in a uniformly random order, without replacement, from a fixed
     * population of {@code population} values in [0, 1].
     */
    public static ConfidenceSequence withoutReplacement(double alpha, long population) {
        if (population < 1) {
            throw new IllegalArgumentException(
                    "the population size must be >= 1, found " + population);
        }
        return new ConfidenceSequence(alpha, population, uniformGrid());
    }

    /**
     * A sequence that tracks only the given candidate means (tests: whether a true mean was ever
     * excluded costs one capital update per value instead of one per grid point).
     */
    static ConfidenceSequence tracking(double alpha, long population, double... candidates) {
        double[] g = candidates.clone();
        Arrays.sort(g);
        return new ConfidenceSequence(alpha, population, g);
    }

    private static double[] uniformGrid() {
        double[] g = new double[GRID + 1];
        for (int j = 0; j <= GRID; j++) {
            g[j] = j / (double) GRID;
        }
        return g;
    }

    /** The level: the interval holds the mean at every count with probability 1 - alpha. */
    public double alpha() {
        return alpha;
    }

    /** The population size, 0 for the with-replacement version. */
    public long population() {
        return population;
    }

    /** Values added so far. */
    public int count() {
        return n;
    }

    /** Adds the next value of the stream. */
    public void add(double x) {
        if (!(x >= 0 && x <= 1)) {
            throw new IllegalArgumentException(
                    "a confidence sequence for a [0, 1] mean needs values in [0, 1], found " + x);
        }
        if (population > 0 && n >= population) {
            throw new IllegalArgumentException(
                    "value "
                            + (n + 1)
                            + " drawn without replacement from a population of "
                            + population);
        }
        int t = n + 1;
        double bet = plugInBet(t);
        for (int j = lo; j <= hi; j++) {
            double mu = nullMean(grid[j], t, sum);
            logPlus[j] += logFactorPlus(x, bet, mu);
            logMinus[j] += logFactorMinus(x, bet, mu);
        }
        while (lo <= hi && excluded(lo)) {
            lo++;
        }
        while (hi >= lo && excluded(hi)) {
            hi--;
        }
        if (n == values.length) {
            values = Arrays.copyOf(values, 2 * n);
            bets = Arrays.copyOf(bets, 2 * n);
            sumsBefore = Arrays.copyOf(sumsBefore, 2 * n);
        }
        values[n] = x;
        bets[n] = bet;
        sumsBefore[n] = sum;
        sum += x;
        n = t;
        double meanHat = (0.5 + sum) / (t + 1);
        squares += (x - meanHat) * (x - meanHat);
    }

    /** The bet for value t, from the values before it only (predictable). */
    private double plugInBet(int t) {
        double variance = (0.25 + squares) / t;
        return Math.sqrt(2 * threshold / (variance * t * Math.log(1 + t)));
    }

    /**
     * The conditional mean of value t under the null mean m, given the sum of the values before.
     */
    private double nullMean(double m, int t, double sumBefore) {
        if (population == 0) {
            return m;
        }
        return (population * m - sumBefore) / (population - t + 1);
    }

    private static double logFactorPlus(double x, double bet, double mu) {
        if (mu < -ROUNDING || mu > 1 + ROUNDING) {
            return Double.POSITIVE_INFINITY; // the data already rule this mean out
        }
        mu = Math.min(1, Math.max(0, mu));
        double lambda = mu > 0 ? Math.min(bet, TRUNCATION / mu) : bet;
        return Math.log1p(lambda * (x - mu));
    }

    private static double logFactorMinus(double x, double bet, double mu) {
        if (mu < -ROUNDING || mu > 1 + ROUNDING) {
            return Double.POSITIVE_INFINITY;
        }
        mu = Math.min(1, Math.max(0, mu));
        double lambda = mu < 1 ? Math.min(bet, TRUNCATION / (1 - mu)) : bet;
        return Math.log1p(-lambda * (x - mu));
    }

    private boolean excluded(int j) {
        return logPlus[j] >= threshold || logMinus[j] >= threshold;
    }

    /**
     * Whether candidate {@code candidate} of a {@link #tracking} sequence was excluded at some
     * count so far (then the running intersection no longer holds it).
     */
    boolean everExcluded(int candidate) {
        return candidate < lo || candidate > hi;
    }

    /**
     * Whether the running intersection holds m, by replaying the capital at m over every count (the
     * definition, O(n), independent of the grid).
     */
    boolean containsByReplay(double m) {
        if (population > 0 && (m < sum / population || m > (sum + population - n) / population)) {
            return false;
        }
        double plus = 0;
        double minus = 0;
        for (int i = 0; i < n; i++) {
            double mu = nullMean(m, i + 1, sumsBefore[i]);
            plus += logFactorPlus(values[i], bets[i], mu);
            minus += logFactorMinus(values[i], bets[i], mu);
            if (plus >= threshold || minus >= threshold) {
                return false;
            }
        }
        return true;
    }

    /** log K+ and log K- at the current count for null mean m (within the possible range). */
    private double logCapitalPlus(double m) {
        double plus = 0;
        for (int i = 0; i < n; i++) {
            plus += logFactorPlus(values[i], bets[i], nullMean(m, i + 1, sumsBefore[i]));
        }
        return plus;
    }

    private double logCapitalMinus(double m) {
        double minus = 0;
        for (int i = 0; i < n; i++) {
            minus += logFactorMinus(values[i], bets[i], nullMean(m, i + 1, sumsBefore[i]));
        }
        return minus;
    }

    /**
     * The sequence's interval at the current count, with the sample mean as estimate: the running
     * intersection as tracked on the grid, its bounds refined by bisection on the current capital
     * (so a bound is exact when the current count sets it, and otherwise off by at most one grid
     * step outwards, which keeps it valid). [0, 1] before the first value. Should every mean have
     * been excluded (an event of probability at most alpha), the two crossing points are returned
     * in order rather than an empty interval.
     */
    public Interval interval() {
        if (n == 0) {
            return new Interval(Double.NaN, 0, 1, 0);
        }
        double a = lo > 0 ? grid[lo - 1] : 0;
        double b = hi < grid.length - 1 ? grid[hi + 1] : 1;
        if (population > 0) {
            // Means the data already rule out: the rest of the population would leave [0, 1].
            a = Math.max(a, sum / population);
            b = Math.min(b, (sum + population - n) / population);
        }
        double lower = lowerBound(a, lo <= hi && grid[lo] >= a && grid[lo] <= b ? grid[lo] : b);
        double upper = upperBound(lo <= hi && grid[hi] >= a && grid[hi] <= b ? grid[hi] : a, b);
        return new Interval(sum / n, Math.min(lower, upper), Math.max(lower, upper), n);
    }

    /**
     * The first m in [a, r] that log K+ (which falls with m) no longer excludes: a when it is not
     * excluded, r when r still is, else found by bisection.
     */
    private double lowerBound(double a, double r) {
        if (logCapitalPlus(a) < threshold) {
            return a;
        }
        if (logCapitalPlus(r) >= threshold) {
            return r;
        }
        double l = a;
        for (int i = 0; i < BISECTIONS; i++) {
            double mid = 0.5 * (l + r);
            if (logCapitalPlus(mid) >= threshold) {
                l = mid;
            } else {
                r = mid;
            }
        }
        return r;
    }

    /** The last m in [l, b] that log K- (which rises with m) does not exclude; as lowerBound. */
    private double upperBound(double l, double b) {
        if (logCapitalMinus(b) < threshold) {
            return b;
        }
        if (logCapitalMinus(l) >= threshold) {
            return l;
        }
        double r = b;
        for (int i = 0; i < BISECTIONS; i++) {
            double mid = 0.5 * (l + r);
            if (logCapitalMinus(mid) >= threshold) {
                r = mid;
            } else {
                l = mid;
            }
        }
        return l;
    }

    /**
     * The interval of the current count alone: the means that the capital after the last value does
     * not exclude, without the running intersection. Also valid at any stopping time (the capital
     * process at the true mean is a nonnegative supermartingale whatever the time), but wider than
     * {@link #interval()} wherever an earlier count excluded more. A stopping rule judges its
     * target on this one: once the sequence has missed the mean (an event of probability at most
     * alpha), later intervals disagree with earlier ones and their intersection collapses to a
     * narrow band, which a target on the intersection would read as precision.
     */
    public Interval currentInterval() {
        if (n == 0) {
            return new Interval(Double.NaN, 0, 1, 0);
        }
        double a = 0;
        double b = 1;
        if (population > 0) {
            a = sum / population;
            b = (sum + population - n) / population;
        }
        double lower = lowerBound(a, b);
        double upper = upperBound(a, b);
        return new Interval(sum / n, Math.min(lower, upper), Math.max(lower, upper), n);
    }

    /** Half the width of {@link #interval()}. */
    public double halfWidth() {
        Interval i = interval();
        return 0.5 * (i.upper() - i.lower());
    }

    /**
     * The sample count at which the sequence's half-width first reaches {@code halfWidth} on a
     * stream of 0/1 values whose running mean tracks p as closely as integers allow (the running
     * sum after t values is round(t p)); {@code maxSamples + 1} when it does not by {@code
     * maxSamples}. A planning figure for 0/1 metrics (majority, worst, single of K): a stream with
     * less variance at the same mean, such as mean of K, needs fewer.
     *
     * @param population 0 for the with-replacement version, else N (maxSamples is capped at N)
     */
    public static int samplesFor(
            double halfWidth, double p, double alpha, long population, int maxSamples) {
        if (!(halfWidth > 0) || !(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(
                    "need a half-width > 0 and p in [0, 1], found " + halfWidth + " and " + p);
        }
        ConfidenceSequence s =
                population == 0 ? withReplacement(alpha) : withoutReplacement(alpha, population);
        int last = population == 0 ? maxSamples : (int) Math.min(maxSamples, population);
        double step = 1.0 / GRID;
        long before = 0;
        for (int t = 1; t <= last; t++) {
            long now = Math.round(t * p);
            s.add(now - before);
            before = now;
            // The grid bracket is at most one step per side wider than the exact interval.
            double gridHalf = s.gridHalfWidth();
            if (gridHalf - step <= halfWidth && s.halfWidth() <= halfWidth) {
                return t;
            }
        }
        return maxSamples + 1;
    }

    private double gridHalfWidth() {
        double a = lo > 0 ? grid[lo - 1] : 0;
        double b = hi < grid.length - 1 ? grid[hi + 1] : 1;
        return 0.5 * (b - a);
    }
}
