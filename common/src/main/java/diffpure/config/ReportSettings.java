package diffpure.config;

import java.io.Serializable;
import java.util.List;

/**
 * How the report job reads the result tables (section {@code report}; not part of the config hash).
 *
 * @param dir where the report goes; empty means {@code <run.output>/report}
 * @param regressionAlpha McNemar two-sided p below which a drop between two runs is a regression
 * @param regressionMetric the paired per-sample outcome compared: one of {@link #METRICS}
 */
public record ReportSettings(String dir, double regressionAlpha, String regressionMetric)
        implements Serializable {
    /** The per-sample outcomes a regression check can compare. */
    public static final List<String> METRICS =
            List.of("single", "majority", "worst", "during-attack");

    /** The report directory for a run output. */
    public String dirFor(String runOutput) {
        return dir.isEmpty() ? runOutput.replaceAll("/+$", "") + "/report" : dir;
    }
}
