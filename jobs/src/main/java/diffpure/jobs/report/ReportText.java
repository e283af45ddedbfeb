package diffpure.jobs.report;

import diffpure.eval.Interval;
import java.util.Locale;
import java.util.function.UnaryOperator;

/** Figures as the HTML and Markdown reports print them. */
final class ReportText {
    private ReportText() {}

    /** "estimate [lower, upper]", or "-" without samples. */
    static String interval(Interval i) {
        if (i == null || i.trials() == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", i.estimate(), i.lower(), i.upper());
    }

    /**
     * The comparison with the previous run in one line.
     *
     * @param runId how the older run's id is written (escaped for the format)
     */
    static String comparison(Comparison c, UnaryOperator<String> runId) {
        if (c == null) {
            return "first run";
        }
        return String.format(
                Locale.ROOT,
                "robust %d right→wrong, %d wrong→right, p=%.3g; clean p=%.3g (%d paired, vs %s)",
                c.robust().onlyA(),
                c.robust().onlyB(),
                c.robust().pValue(),
                c.clean().pValue(),
                c.paired(),
                runId.apply(c.olderRunId()));
    }
}
