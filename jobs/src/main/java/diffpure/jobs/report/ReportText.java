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

    /** The header's words on intervals: Wilson, and confidence sequences for stopped runs. */
    static final String INTERVALS =
            "95% Wilson intervals; a run that stopped on its stopping rule shows its 95% confidence"
                    + " sequence intervals at the stop instead, marked 'confidence sequence'";

    /**
     * What a run's intervals are, after its figures: "" for Wilson, else "confidence sequence" with
     * where and why the run stopped.
     */
    static String intervalNote(RunFigures f) {
        if (f.stop() == null) {
            return "";
        }
        return String.format(
                Locale.ROOT,
                " (confidence sequence: stopped by %s after %d samples of the plan order)",
                f.stop().reason(),
                f.stop().samples());
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
