package diffpure.eval;

import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.distribution.ChiSquaredDistribution;

/**
 * McNemar's test for two paired binary outcomes on the same samples (robust under A vs robust under
 * B): only the discordant pairs count. Exact binomial test when there are fewer than {@link
 * #EXACT_BELOW} discordant pairs, the continuity-corrected chi-squared test otherwise.
 *
 * @param onlyA samples where A is 1 and B is 0
 * @param onlyB samples where B is 1 and A is 0
 * @param pValue two-sided p-value
 * @param method which test gave it
 */
public record McNemar(long onlyA, long onlyB, double pValue, Method method) {
    /** Which form of the test was used. */
    public enum Method {
        /** Two-sided exact binomial test on the discordant pairs. */
        EXACT_BINOMIAL,
        /** Chi-squared with continuity correction. */
        CHI_SQUARED_CORRECTED
    }

    /** Discordant counts below this use the exact test. */
    public static final int EXACT_BELOW = 25;

    /** The test for paired outcomes a[i], b[i]. */
    public static McNemar test(boolean[] a, boolean[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(
                    "paired outcomes need equal lengths, found " + a.length + " and " + b.length);
        }
        long onlyA = 0;
        long onlyB = 0;
        for (int i = 0; i < a.length; i++) {
            onlyA += a[i] && !b[i] ? 1 : 0;
            onlyB += b[i] && !a[i] ? 1 : 0;
        }
        return of(onlyA, onlyB);
    }

    /** The test from the two discordant counts. */
    public static McNemar of(long onlyA, long onlyB) {
        long n = onlyA + onlyB;
        if (n == 0) {
            return new McNemar(onlyA, onlyB, 1.0, Method.EXACT_BINOMIAL);
        }
        if (n < EXACT_BELOW) {
            BinomialDistribution bin = new BinomialDistribution(null, (int) n, 0.5);
            double p = Math.min(1.0, 2 * bin.cumulativeProbability((int) Math.min(onlyA, onlyB)));
            return new McNemar(onlyA, onlyB, p, Method.EXACT_BINOMIAL);
        }
        double stat = Math.pow(Math.abs(onlyA - onlyB) - 1.0, 2) / n;
        double p = 1 - new ChiSquaredDistribution(null, 1).cumulativeProbability(stat);
        return new McNemar(onlyA, onlyB, p, Method.CHI_SQUARED_CORRECTED);
    }

    /**
     * One-sided exact p-value that B's 1s outnumber A's beyond chance: P(X &gt;= onlyB) for X ~
     * Bin(onlyA + onlyB, 1/2).
     */
    public double oneSidedBGreater() {
        long n = onlyA + onlyB;
        if (n == 0) {
            return 1.0;
        }
        BinomialDistribution bin = new BinomialDistribution(null, (int) n, 0.5);
        return 1 - bin.cumulativeProbability((int) onlyB - 1);
    }
}
