package diffpure.jobs.report;

import diffpure.eval.Interval;
import java.sql.Timestamp;
import java.util.Map;

/**
 * The figures of one setting in one run.
 *
 * @param setting the setting
 * @param runId run id
 * @param experiment experiment name
 * @param started when the run started (runs table; null when the run has no runs row)
 * @param status running, incomplete or done
 * @param configHash config hash
 * @param gitSha commit of the code
 * @param schemaVersion samples schema version of these rows (the largest, if mixed)
 * @param rows rows of the setting in the run
 * @param samples rows without error (the denominator of every accuracy)
 * @param errors rows with an error
 * @param errorKinds error rows per error_kind (schema 2; empty on schema 1)
 * @param clean clean accuracies by protocol (single, majority, mean, worst, during-attack and,
 *     where recorded, averaged-logit)
 * @param robust robust accuracies by protocol (the same plus any)
 * @param cost cost figures
 * @param maxLinf largest stored Linf perturbation
 * @param maxL2 largest stored L2 perturbation
 * @param gradientModes gradient modes used, comma-separated
 * @param samplesWithWarnings rows with at least one warning
 * @param warnings warning kinds (numbers replaced by N) and how many rows carry each
 * @param adjoint adjoint error figures (null when the run has none)
 * @param sanity the run's sanity checks as JSON (runs table, schema 2; null when absent)
 */
public record RunFigures(
        Setting setting,
        String runId,
        String experiment,
        Timestamp started,
        String status,
        String configHash,
        String gitSha,
        int schemaVersion,
        long rows,
        long samples,
        long errors,
        Map<String, Long> errorKinds,
        Map<String, Interval> clean,
        Map<String, Interval> robust,
        Cost cost,
        double maxLinf,
        double maxL2,
        String gradientModes,
        long samplesWithWarnings,
        Map<String, Long> warnings,
        Adjoint adjoint,
        String sanity) {

    /**
     * Cost of the run's rows of this setting.
     *
     * @param seconds summed per-sample seconds (batch time / batch size, summed: slot-seconds)
     * @param coreHours CPU rows: seconds x libtorch threads / 3600
     * @param gpuHours GPU rows: seconds / 3600
     * @param secondsPerSample mean seconds per sample without error
     * @param gradientsPerSample mean input-gradient evaluations per sample
     * @param purificationsPerSample mean purifications per sample (gradient + forward + vote
     *     evaluations: each purifies once)
     */
    public record Cost(
            double seconds,
            double coreHours,
            double gpuHours,
            double secondsPerSample,
            double gradientsPerSample,
            double purificationsPerSample) {}

    /**
     * Adjoint gradient error figures (DESIGN.md 4: the adjoint is not exact; its error is
     * measured).
     *
     * @param reconstructionErrorMax largest per-row reconstruction error of y_0 (samples), NaN if
     *     none
     * @param cosineMin smallest per-row cosine to the exact gradient (samples), NaN if none
     * @param runReconstructionErrorMax the runs table's figure, NaN if none
     * @param runCosineMin the runs table's figure, NaN if none
     */
    public record Adjoint(
            double reconstructionErrorMax,
            double cosineMin,
            double runReconstructionErrorMax,
            double runCosineMin) {}

    /** The headline robust accuracy (majority of K). */
    public Interval robustMajority() {
        return robust.get("majority");
    }
}
