package diffpure.jobs.store;

import diffpure.config.ExperimentConfig;
import diffpure.eval.SampleOutcome;
import diffpure.eval.StepRowCost;
import java.util.List;

/**
 * Everything one row of the samples table is read from ({@link SamplesTable#COLUMNS} say how).
 *
 * @param provenance what every row of the run carries
 * @param setting the attack setting the row was computed under
 * @param position where the sample sits in the run's plan
 * @param place where the row was computed
 * @param result the protocol outcome, or the error that replaced it
 * @param checks what the gradient-masking checks say of the sample
 * @param gallery the images the report's gallery shows, null for a sample outside it
 */
public record SampleFacts(
        Provenance provenance,
        Setting setting,
        Position position,
        Place place,
        Result result,
        Checks checks,
        Gallery gallery) {

    /**
     * A gallery sample's pictures (report.gallery-samples): the report runs no models, so the run
     * stores what it shows. Pixels float32 in [0, 1], the classifier's image shape.
     *
     * @param shape the image shape [C, H, W]
     * @param clean the clean image (the adversarial one is clean + the perturbation column)
     * @param purifiedClean the first clean vote's purified copy (purpose vote-clean, draw 0, copy
     *     0: the same noise keys)
     * @param purifiedCleanPrediction the classifier's label for it
     * @param purifiedAdversarial the first adversarial vote's purified copy
     * @param purifiedAdversarialPrediction the classifier's label for it
     */
    public record Gallery(
            int[] shape,
            float[] clean,
            float[] purifiedClean,
            int purifiedCleanPrediction,
            float[] purifiedAdversarial,
            int purifiedAdversarialPrediction) {}

    /**
     * The setting of a row.
     *
     * @param config the setting's config (a sweep's eps or t* applied)
     * @param steps reverse-chain steps of the purifier
     * @param gradientMode the gradient mode used (attack.gradient-mode = auto resolved, see
     *     ExperimentConfig#gradientPlan); the runs table's config keeps what was configured
     * @param iterations the attack's effective main budget ({@link
     *     diffpure.jobs.run.TaskSpec#attackIterations})
     * @param cost the step-rows of each kind of row (the chains they go through)
     */
    public record Setting(
            ExperimentConfig config,
            int steps,
            String gradientMode,
            int iterations,
            StepRowCost cost) {}

    /**
     * A sample's place in the plan.
     *
     * @param chunk chunk number
     * @param partition partition number within the run
     * @param batch batch within the partition
     * @param index index in the data set
     * @param sampleId sample id
     * @param label the label the plan read (the outcome's, when there is one, is the same)
     */
    public record Position(
            int chunk, int partition, int batch, int index, long sampleId, int label) {}

    /** Where a row was computed. */
    public record Place(String executor, String device, int attempt, int torchThreads) {}

    /**
     * A row's result.
     *
     * @param outcome the protocol record, null when the row is an error row
     * @param error the error, null when none
     * @param errorKind {@link SamplesTable#DATA} or {@link SamplesTable#COMPUTE}, null when none
     */
    public record Result(SampleOutcome outcome, String error, String errorKind) {}

    /**
     * The gradient-masking checks' part of a row.
     *
     * @param inSubset whether the checks ran on this sample
     * @param warnings the row's warnings (the outcome's, then the checks' when in the subset)
     * @param adjointCosine cosine of the adjoint to the exact gradient, null when not measured
     */
    public record Checks(boolean inSubset, List<String> warnings, Double adjointCosine) {}
}
