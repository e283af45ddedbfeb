package diffpure.eval;

/**
 * One sample at one budget checkpoint of its attack ({@code attack.budget-checkpoints}): K fresh
 * votes on the attack's best iterate so far, and what the attack had spent by then. The votes use
 * the same noise as the final adversarial votes, so a checkpoint whose image is the returned image
 * (the last, or any after the attack stopped on the sample) has exactly the final votes.
 *
 * @param iteration the checkpoint b: cumulative iterations
 * @param ofIterations N, the iterations of the whole run the checkpoint was taken in ({@code
 *     Attack#checkpointIterations}): where the attack's schedule depends on N (APGD), b's figures
 *     are "iteration b of a run of N", not those of a run with budget b
 * @param votes predicted class of each of the K votes
 * @param gradients input-gradient evaluations spent by then
 * @param forwards gradient-free evaluations spent by then
 * @param evaluations evaluations of attack iterates seen by then; {@link
 *     SampleOutcome#NOT_RECORDED} for an attack judged on a surrogate
 * @param fooled how many of those misclassified the sample; likewise
 * @param miss fraction of EOT copies that missed the attack's goal in the evaluation of the best
 *     iterate so far (NaN when none was evaluated); the returned-image rule keeps the best, so it
 *     never grows from one checkpoint to the next
 */
public record CheckpointOutcome(
        int iteration,
        long ofIterations,
        int[] votes,
        long gradients,
        long forwards,
        long evaluations,
        long fooled,
        double miss) {
    public CheckpointOutcome {
        votes = votes.clone();
    }

    @Override
    public int[] votes() {
        return votes.clone();
    }

    /** "iteration b of a run of N", the label every checkpoint figure carries. */
    public String label() {
        return "iteration " + iteration + " of a run of " + ofIterations;
    }

    /** Whether the during-attack counts were recorded (see {@link SampleOutcome#NOT_RECORDED}). */
    public boolean duringAttackRecorded() {
        return evaluations != SampleOutcome.NOT_RECORDED;
    }

    /** Whether any evaluation during the attack had misclassified the sample by then. */
    public boolean duringAttackFlag() {
        return fooled > 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CheckpointOutcome c
                && iteration == c.iteration
                && ofIterations == c.ofIterations
                && java.util.Arrays.equals(votes, c.votes)
                && gradients == c.gradients
                && forwards == c.forwards
                && evaluations == c.evaluations
                && fooled == c.fooled
                && Double.compare(miss, c.miss) == 0;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                iteration,
                ofIterations,
                java.util.Arrays.hashCode(votes),
                gradients,
                forwards,
                evaluations,
                fooled,
                miss);
    }
}
