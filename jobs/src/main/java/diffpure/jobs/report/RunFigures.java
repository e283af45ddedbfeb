package diffpure.jobs.report;

import diffpure.eval.Interval;
import diffpure.eval.IntervalKind;
import diffpure.jobs.store.RunsTable;
import java.sql.Timestamp;
import java.util.Map;

/**
 * The figures of one setting in one run, in small groups; the accessors below read through them.
 *
 * @param setting the setting
 * @param run which run: id, experiment, start, status, provenance
 * @param counts rows, rows without error and error rows
 * @param accuracy clean and robust accuracies by protocol (single, majority, mean, worst,
 *     during-attack and, where recorded, averaged-logit; robust also any)
 * @param cost cost figures
 * @param checks perturbation sizes, gradient modes, warnings, adjoint figures and sanity checks
 */
public record RunFigures(
        Setting setting, Run run, Counts counts, Accuracy accuracy, Cost cost, Checks checks) {

    /**
     * Which run.
     *
     * @param runId run id
     * @param experiment experiment name
     * @param started when the run started (runs table; null when the run has no runs row)
     * @param status running, incomplete or done
     * @param provenance config hash, commit and schema version
     */
    public record Run(
            String runId,
            String experiment,
            Timestamp started,
            String status,
            Provenance provenance) {}

    /**
     * Where the rows came from.
     *
     * @param configHash config hash
     * @param gitSha commit of the code
     * @param schemaVersion samples schema version of these rows (the largest, if mixed)
     */
    public record Provenance(String configHash, String gitSha, int schemaVersion) {}

    /**
     * How many rows.
     *
     * @param rows rows of the setting in the run
     * @param samples rows without error (the denominator of every accuracy)
     * @param errors rows with an error
     * @param errorKinds error rows per error_kind (schema 2; empty on schema 1)
     */
    public record Counts(long rows, long samples, long errors, Map<String, Long> errorKinds) {}

    /**
     * Accuracies by protocol.
     *
     * @param clean on clean images
     * @param robust on adversarial images
     * @param stop where the run's stopping rule ended it (null: no rule); its accuracies are then
     *     the 95% confidence sequences at the stop (the runs table's stop_sequences), over the
     *     first stop.samples() samples of the plan order, else Wilson intervals over every row
     */
    public record Accuracy(
            Map<String, Interval> clean, Map<String, Interval> robust, RunsTable.Stop stop) {
        /** Wilson intervals over every row. */
        public Accuracy(Map<String, Interval> clean, Map<String, Interval> robust) {
            this(clean, robust, null);
        }

        /** What the intervals are: Wilson or confidence sequence. */
        public IntervalKind intervals() {
            return stop == null ? IntervalKind.WILSON : IntervalKind.CONFIDENCE_SEQUENCE;
        }
    }

    /**
     * What the rows say about the attack and the gradients.
     *
     * @param maxLinf largest stored Linf perturbation
     * @param maxL2 largest stored L2 perturbation
     * @param gradientModes gradient modes used, comma-separated
     * @param warnings rows with at least one warning, and the warning kinds (numbers replaced by N)
     *     with how many rows carry each
     * @param adjoint adjoint error figures (null when the run has none)
     * @param sanity the run's sanity checks as JSON (runs table, schema 2; null when absent)
     */
    public record Checks(
            double maxLinf,
            double maxL2,
            String gradientModes,
            Warnings warnings,
            Adjoint adjoint,
            String sanity) {}

    /**
     * Warnings on rows.
     *
     * @param rows rows with at least one warning
     * @param kinds warning kinds (numbers replaced by N) and how many rows carry each
     */
    public record Warnings(long rows, Map<String, Long> kinds) {}

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
     * Adjoint gradient error figures (the adjoint is not exact: it reconstructs the chain
     * backwards, so its error is measured).
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
        return accuracy.robust().get("majority");
    }

    /** The run id. */
    public String runId() {
        return run.runId();
    }

    /** The experiment name. */
    public String experiment() {
        return run.experiment();
    }

    /** When the run started (null without a runs row). */
    public Timestamp started() {
        return run.started();
    }

    /** The run's status. */
    public String status() {
        return run.status();
    }

    /** The config hash. */
    public String configHash() {
        return run.provenance().configHash();
    }

    /** The commit of the code. */
    public String gitSha() {
        return run.provenance().gitSha();
    }

    /** The samples schema version of these rows. */
    public int schemaVersion() {
        return run.provenance().schemaVersion();
    }

    /** Rows of the setting in the run. */
    public long rows() {
        return counts.rows();
    }

    /** Rows without error. */
    public long samples() {
        return counts.samples();
    }

    /** Rows with an error. */
    public long errors() {
        return counts.errors();
    }

    /** Error rows per error_kind. */
    public Map<String, Long> errorKinds() {
        return counts.errorKinds();
    }

    /** Clean accuracies by protocol. */
    public Map<String, Interval> clean() {
        return accuracy.clean();
    }

    /** Robust accuracies by protocol. */
    public Map<String, Interval> robust() {
        return accuracy.robust();
    }

    /** Where the run's stopping rule ended it, null without one. */
    public RunsTable.Stop stop() {
        return accuracy.stop();
    }

    /** What the run's intervals are. */
    public IntervalKind intervals() {
        return accuracy.intervals();
    }

    /** Largest stored Linf perturbation. */
    public double maxLinf() {
        return checks.maxLinf();
    }

    /** Largest stored L2 perturbation. */
    public double maxL2() {
        return checks.maxL2();
    }

    /** Gradient modes used, comma-separated. */
    public String gradientModes() {
        return checks.gradientModes();
    }

    /** Rows with at least one warning. */
    public long samplesWithWarnings() {
        return checks.warnings().rows();
    }

    /** Warning kinds and how many rows carry each. */
    public Map<String, Long> warnings() {
        return checks.warnings().kinds();
    }

    /** Adjoint error figures, null when none. */
    public Adjoint adjoint() {
        return checks.adjoint();
    }

    /** The sanity checks' JSON, null when absent. */
    public String sanity() {
        return checks.sanity();
    }
}
