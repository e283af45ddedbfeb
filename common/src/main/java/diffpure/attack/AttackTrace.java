package diffpure.attack;

/**
 * What one attack did to one sample.
 *
 * @param attack name of the attack that produced the returned image (for compositions: the member
 *     that broke the sample, or the first member when none did)
 * @param success whether the attack's own in-loop criterion was met: one stochastic evaluation,
 *     within the threat model, misclassified the sample (or, for a targeted run such as {@link
 *     Apgd#runTarget}, predicted its target)
 * @param firstSuccessIteration iteration (0 = the starting point) at which that first happened, -1
 *     if never
 * @param gradients input-gradient evaluations spent (each EOT copy counts as one)
 * @param forwards gradient-free evaluations spent (purify-and-classify or classify; each copy
 *     counts)
 * @param evaluations stochastic evaluations whose prediction was seen (gradient and forward ones)
 * @param fooledEvaluations how many of those misclassified the sample
 * @param zeroGradients gradient calls that returned an all-zero input gradient
 */
public record AttackTrace(
        String attack,
        boolean success,
        int firstSuccessIteration,
        long gradients,
        long forwards,
        long evaluations,
        long fooledEvaluations,
        long zeroGradients) {

    /** Whether any evaluation during the attack misclassified the sample. */
    public boolean anyEvaluationFooled() {
        return fooledEvaluations > 0;
    }

    /** This trace followed by another attack's on the same sample: counts add up. */
    public AttackTrace then(AttackTrace next, String brokenBy, boolean nowSuccess, int iteration) {
        return new AttackTrace(
                brokenBy,
                nowSuccess,
                iteration,
                gradients + next.gradients,
                forwards + next.forwards,
                evaluations + next.evaluations,
                fooledEvaluations + next.fooledEvaluations,
                zeroGradients + next.zeroGradients);
    }
}
