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
 * @param samples rows without error
 * @param errors rows with an error
 * @param clean clean accuracies by protocol
 * @param robust robust accuracies by protocol
 */
public record RescoreFigures(
        String rescoreId,
        String sourceRunId,
        Setting source,
        String rescoredAs,
        long samples,
        long errors,
        Map<String, Interval> clean,
        Map<String, Interval> robust) {}
