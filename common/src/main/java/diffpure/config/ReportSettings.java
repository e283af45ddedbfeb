package diffpure.config;

import java.io.Serializable;
import java.util.List;

/**
 * How the report job reads the result tables (section {@code report}; not part of the config hash).
 *
 * @param dir where the report goes; empty means {@code <run.output>/report}
 * @param regressionAlpha McNemar two-sided p below which a drop between two runs is a regression
 * @param regressionMetric the paired per-sample outcome compared: one of {@link #METRICS}
 * @param gallerySamples how many samples of each run (the first in plan order) keep one purified
 *     copy of their clean and of their adversarial image for the report's gallery; 0 = none ({@code
 *     report.gallery-samples})
 */
public record ReportSettings(
        String dir, double regressionAlpha, String regressionMetric, int gallerySamples)
        implements Serializable {
    /** report.gallery-samples' default. */
    public static final int DEFAULT_GALLERY_SAMPLES = 8;

    /** report.gallery-samples' largest value (each stores four images per run). */
    public static final int MAX_GALLERY_SAMPLES = 1000;

    /** Settings with the default gallery. */
    public ReportSettings(String dir, double regressionAlpha, String regressionMetric) {
        this(dir, regressionAlpha, regressionMetric, DEFAULT_GALLERY_SAMPLES);
    }

    /** The per-sample outcomes a regression check can compare. */
    public static final List<String> METRICS =
            List.of("single", "majority", "worst", "during-attack");

    /** The report directory for a run output. */
    public String dirFor(String runOutput) {
        return dir.isEmpty() ? runOutput.replaceAll("/+$", "") + "/report" : dir;
    }
}
