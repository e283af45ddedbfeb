package diffpure.jobs.report;

import diffpure.eval.Interval;
import java.util.Map;

/**
 * Accuracies of a rescore: the stored perturbations of a source run re-voted under another setting
 * (more votes, another purifier or classifier) without re-attacking.
 *
 * @param rescoreId rescore id
 * @param sourceRunId the run whose perturbations were rescored
 * @param source the source run's setting
 * @param rescoredAs what changed, e.g. "vp-sde t*=0.02 (20 steps), classifier, K=20"
 * @param counts rows, rows without error and error rows
 * @param accuracy clean and robust accuracies by protocol
 */
public record RescoreFigures(
        String rescoreId,
        String sourceRunId,
        Setting source,
        String rescoredAs,
        RunFigures.Counts counts,
        RunFigures.Accuracy accuracy) {

    /** Rows without error. */
    public long samples() {
        return counts.samples();
    }

    /** Rows with an error. */
    public long errors() {
        return counts.errors();
    }

    /** Clean accuracies by protocol. */
    public Map<String, Interval> clean() {
        return accuracy.clean();
    }

    /** Robust accuracies by protocol. */
    public Map<String, Interval> robust() {
        return accuracy.robust();
    }
}
