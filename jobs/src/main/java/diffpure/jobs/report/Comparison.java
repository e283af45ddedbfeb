package diffpure.jobs.report;

import diffpure.eval.McNemar;

/**
 * The newest run of a setting against the previous one, on the samples both have without error:
 * McNemar's test on the paired per-sample outcomes. "A" is the older run, "B" the newer, so {@code
 * onlyA} counts samples that went from right to wrong.
 *
 * @param setting the setting
 * @param olderRunId the previous run
 * @param newerRunId the newest run
 * @param paired samples compared
 * @param metric the per-sample outcome compared (report.regression-metric)
 * @param alpha the threshold (report.regression-alpha)
 * @param clean the test on clean outcomes
 * @param robust the test on robust outcomes
 */
public record Comparison(
        Setting setting,
        String olderRunId,
        String newerRunId,
        long paired,
        String metric,
        double alpha,
        McNemar clean,
        McNemar robust) {

    /** Whether the clean outcomes dropped significantly. */
    public boolean cleanRegression() {
        return drop(clean);
    }

    /** Whether the robust outcomes dropped significantly. */
    public boolean robustRegression() {
        return drop(robust);
    }

    /** Either. */
    public boolean regression() {
        return cleanRegression() || robustRegression();
    }

    private boolean drop(McNemar m) {
        return m.onlyA() > m.onlyB() && m.pValue() < alpha;
    }
}
