package diffpure.eval;

import java.util.List;

/**
 * Everything the protocol records for one sample under one attack setting: the shape of a row of
 * the {@code samples} table.
 *
 * @param sampleId stable sample id
 * @param label true label
 * @param votes the K votes on the clean and the adversarial image
 * @param attack what the attack did to the sample
 * @param cost the evaluations spent on the sample and its wall time
 * @param diagnostics how the gradients were computed and what looked wrong
 */
public record SampleOutcome(
        long sampleId,
        int label,
        VoteRecord votes,
        AttackRecord attack,
        Cost cost,
        Diagnostics diagnostics) {

    /**
     * The during-attack counts of an attack whose iterates were judged on a surrogate: there were
     * no defence evaluations to count (null in the samples table).
     */
    public static final long NOT_RECORDED = -1;

    /**
     * The K purify-and-classify votes of a sample.
     *
     * @param clean predicted class of each vote on the clean image
     * @param adversarial the same on the final adversarial image
     * @param cleanLogitPrediction argmax of the mean of the K clean votes' logits (the paper's BPDA
     *     metric, "averaged-logit"); -1 when not recorded (rows of schema version 1)
     * @param adversarialLogitPrediction the same on the adversarial image
     */
    public record VoteRecord(
            int[] clean,
            int[] adversarial,
            int cleanLogitPrediction,
            int adversarialLogitPrediction) {
        public VoteRecord {
            clean = clean.clone();
            adversarial = adversarial.clone();
        }

        @Override
        public int[] clean() {
            return clean.clone();
        }

        @Override
        public int[] adversarial() {
            return adversarial.clone();
        }

        /** The most frequent clean prediction (smallest class on ties). */
        public int cleanPrediction() {
            return Votes.mode(clean);
        }

        /** The most frequent adversarial prediction (smallest class on ties). */
        public int adversarialPrediction() {
            return Votes.mode(adversarial);
        }

        /** Whether the averaged-logit predictions were recorded. */
        public boolean hasLogitPredictions() {
            return cleanLogitPrediction >= 0 && adversarialLogitPrediction >= 0;
        }
    }

    /**
     * What the attack did to a sample.
     *
     * @param perturbation the final adversarial image minus the clean one
     * @param duringAttack the defence's evaluations made while attacking
     * @param firstSuccessIteration iteration at which the attack first fooled an evaluation, -1 if
     *     never
     * @param brokenBy the attack that broke the sample, null if none did
     * @param checkpoints the attack's best iterate so far at each budget checkpoint, with its K
     *     votes (empty when {@code attack.budget-checkpoints} is off)
     */
    public record AttackRecord(
            Perturbation perturbation,
            DuringAttack duringAttack,
            int firstSuccessIteration,
            String brokenBy,
            List<CheckpointOutcome> checkpoints) {
        public AttackRecord {
            checkpoints = List.copyOf(checkpoints);
        }
    }

    /**
     * The final perturbation.
     *
     * @param delta adversarial - clean, float32, channel-major
     * @param linf ||adversarial - clean||_inf
     * @param l2 ||adversarial - clean||_2
     */
    public record Perturbation(float[] delta, double linf, double l2) {
        public Perturbation {
            delta = delta.clone();
        }

        @Override
        public float[] delta() {
            return delta.clone();
        }
    }

    /**
     * The stochastic evaluations of the defence made during the attack, each {@link #NOT_RECORDED}
     * when the attack judged its iterates on a surrogate (attack.surrogate-evaluation =
     * checkpoints), whose copies are no defence evaluations.
     *
     * @param evaluations evaluations of the attack's iterates
     * @param fooled how many of them misclassified the sample
     * @param cleanEvaluations evaluations of the clean image made to match that count
     * @param cleanFooled how many of them misclassified the clean image
     */
    public record DuringAttack(
            long evaluations, long fooled, long cleanEvaluations, long cleanFooled) {

        /** Counts of an attack judged on a surrogate. */
        public static final DuringAttack NONE =
                new DuringAttack(NOT_RECORDED, NOT_RECORDED, NOT_RECORDED, NOT_RECORDED);

        /**
         * Whether the counts were recorded (not an attack judged on a surrogate); the during-attack
         * metric is undefined (NaN) where they were not.
         */
        public boolean recorded() {
            return evaluations != NOT_RECORDED;
        }

        /** Whether any evaluation during the attack was fooled. */
        public boolean flagged() {
            return fooled > 0;
        }

        /** Whether any of the matching clean evaluations was wrong. */
        public boolean cleanFlagged() {
            return cleanFooled > 0;
        }
    }

    /**
     * What a sample cost.
     *
     * @param gradients input-gradient evaluations the attack spent
     * @param forwards gradient-free evaluations the attack spent
     * @param voteEvaluations evaluations spent on votes and on the clean during-attack count
     * @param seconds wall time of the batch divided by its size
     */
    public record Cost(long gradients, long forwards, long voteEvaluations, double seconds) {}

    /**
     * How the gradients were computed and what looked wrong.
     *
     * @param gradientMode the gradient mode of the defended model, "none" for a bare classifier
     * @param warnings what looked wrong (zero gradients, sanity checks)
     * @param adjointReconstructionError for an attack with gradient mode {@code adjoint}: the
     *     largest relative reconstruction error of y_0, ||y0_reconstructed - y0|| / ||y0||, over
     *     the attack's gradient evaluations of this sample (every EOT copy); NaN otherwise (other
     *     modes, or no gradient evaluation)
     */
    public record Diagnostics(
            String gradientMode, List<String> warnings, double adjointReconstructionError) {
        public Diagnostics {
            warnings = List.copyOf(warnings);
        }
    }

    /** Number of correct clean votes. */
    public int cleanCorrect() {
        return Votes.correct(votes.clean, label);
    }

    /** Number of correct adversarial votes. */
    public int adversarialCorrect() {
        return Votes.correct(votes.adversarial, label);
    }

    /** Whether the averaged-logit prediction of the clean image is correct. */
    public boolean cleanLogitCorrect() {
        return votes.cleanLogitPrediction() == label;
    }

    /** Whether the averaged-logit prediction of the adversarial image is correct. */
    public boolean adversarialLogitCorrect() {
        return votes.adversarialLogitPrediction() == label;
    }
}
