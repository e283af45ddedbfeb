package diffpure.eval;

import java.util.List;

/**
 * Everything the protocol records for one sample under one attack setting: the shape of a row of
 * the {@code samples} table.
 *
 * @param sampleId stable sample id
 * @param label true label
 * @param cleanVotes predicted class of each of the K purify-and-classify votes on the clean image
 * @param adversarialVotes the same on the final adversarial image
 * @param cleanLogitPrediction argmax of the mean of the K clean votes' logits (the paper's BPDA
 *     metric, "averaged-logit"); -1 when not recorded (rows of schema version 1)
 * @param adversarialLogitPrediction the same on the adversarial image
 * @param duringAttackEvaluations stochastic evaluations made during the attack; {@link
 *     #NOT_RECORDED} when the attack judged its iterates on a surrogate
 *     (attack.surrogate-evaluation = checkpoints), whose copies are no defence evaluations
 * @param duringAttackFooled how many of them misclassified the sample; {@link #NOT_RECORDED} then
 * @param cleanDuringEvaluations evaluations of the clean image made to match that count; {@link
 *     #NOT_RECORDED} then
 * @param cleanDuringFooled how many of them misclassified the clean image; {@link #NOT_RECORDED}
 *     then
 * @param linf ||adversarial - clean||_inf
 * @param l2 ||adversarial - clean||_2
 * @param perturbation adversarial - clean, float32, channel-major
 * @param firstSuccessIteration iteration at which the attack first fooled an evaluation, -1 if
 *     never
 * @param brokenBy the attack that broke the sample, null if none did
 * @param gradients input-gradient evaluations the attack spent
 * @param forwards gradient-free evaluations the attack spent
 * @param voteEvaluations evaluations spent on votes and on the clean during-attack count
 * @param gradientMode the gradient mode of the defended model, "none" for a bare classifier
 * @param seconds wall time of the batch divided by its size
 * @param warnings what looked wrong (zero gradients, sanity checks)
 * @param adjointReconstructionError for an attack with gradient mode {@code adjoint}: the largest
 *     relative reconstruction error of y_0, ||y0_reconstructed - y0|| / ||y0||, over the attack's
 *     gradient evaluations of this sample (every EOT copy); NaN otherwise (other modes, or no
 *     gradient evaluation)
 * @param checkpoints the attack's best iterate so far at each budget checkpoint, with its K votes
 *     (empty when {@code attack.budget-checkpoints} is off)
 */
public record SampleOutcome(
        long sampleId,
        int label,
        int[] cleanVotes,
        int[] adversarialVotes,
        int cleanLogitPrediction,
        int adversarialLogitPrediction,
        long duringAttackEvaluations,
        long duringAttackFooled,
        long cleanDuringEvaluations,
        long cleanDuringFooled,
        double linf,
        double l2,
        float[] perturbation,
        int firstSuccessIteration,
        String brokenBy,
        long gradients,
        long forwards,
        long voteEvaluations,
        String gradientMode,
        double seconds,
        List<String> warnings,
        double adjointReconstructionError,
        List<CheckpointOutcome> checkpoints) {

    /**
     * The during-attack counts of an attack whose iterates were judged on a surrogate: there were
     * no defence evaluations to count (null in the samples table).
     */
    public static final long NOT_RECORDED = -1;

    public SampleOutcome {
        cleanVotes = cleanVotes.clone();
        adversarialVotes = adversarialVotes.clone();
        perturbation = perturbation.clone();
        warnings = List.copyOf(warnings);
        checkpoints = List.copyOf(checkpoints);
    }

    @Override
    public int[] cleanVotes() {
        return cleanVotes.clone();
    }

    @Override
    public int[] adversarialVotes() {
        return adversarialVotes.clone();
    }

    @Override
    public float[] perturbation() {
        return perturbation.clone();
    }

    /**
     * Whether the during-attack counts were recorded (not an attack judged on a surrogate); the
     * during-attack metric is undefined (NaN) where they were not.
     */
    public boolean duringAttackRecorded() {
        return duringAttackEvaluations != NOT_RECORDED;
    }

    /** Whether any evaluation during the attack was fooled. */
    public boolean duringAttackFlag() {
        return duringAttackFooled > 0;
    }

    /** Whether any of the matching clean evaluations was wrong. */
    public boolean cleanDuringFlag() {
        return cleanDuringFooled > 0;
    }

    /** Number of correct clean votes. */
    public int cleanCorrect() {
        return Votes.correct(cleanVotes, label);
    }

    /** Number of correct adversarial votes. */
    public int adversarialCorrect() {
        return Votes.correct(adversarialVotes, label);
    }

    /** The most frequent clean prediction (smallest class on ties). */
    public int cleanPrediction() {
        return Votes.mode(cleanVotes);
    }

    /** The most frequent adversarial prediction (smallest class on ties). */
    public int adversarialPrediction() {
        return Votes.mode(adversarialVotes);
    }

    /** Whether the averaged-logit prediction was recorded. */
    public boolean hasLogitPredictions() {
        return cleanLogitPrediction >= 0 && adversarialLogitPrediction >= 0;
    }

    /** Whether the averaged-logit prediction of the clean image is correct. */
    public boolean cleanLogitCorrect() {
        return cleanLogitPrediction == label;
    }

    /** Whether the averaged-logit prediction of the adversarial image is correct. */
    public boolean adversarialLogitCorrect() {
        return adversarialLogitPrediction == label;
    }

    /** A copy with more warnings. */
    public SampleOutcome withWarnings(List<String> more) {
        List<String> all = new java.util.ArrayList<>(warnings);
        all.addAll(more);
        return new SampleOutcome(
                sampleId,
                label,
                cleanVotes,
                adversarialVotes,
                cleanLogitPrediction,
                adversarialLogitPrediction,
                duringAttackEvaluations,
                duringAttackFooled,
                cleanDuringEvaluations,
                cleanDuringFooled,
                linf,
                l2,
                perturbation,
                firstSuccessIteration,
                brokenBy,
                gradients,
                forwards,
                voteEvaluations,
                gradientMode,
                seconds,
                all,
                adjointReconstructionError,
                checkpoints);
    }
}
