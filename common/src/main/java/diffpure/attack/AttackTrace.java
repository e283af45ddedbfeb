package diffpure.attack;

/**
 * What one attack did to one sample. Definitions (docs/result-tables.md): an evaluation of an
 * iterate is a success when at least the context's success fraction of its EOT copies is fooled
 * ({@link AttackContext}); the returned image is the best evaluated iterate (fewest copies that
 * miss the goal, ties by the higher mean loss).
 *
 * @param attack name of the attack that produced the returned image (for compositions: the member
 *     that broke the sample, or the member whose image was returned when none did)
 * @param success whether an evaluation of an iterate met the success rule (then the returned image
 *     met it too); for a targeted run such as {@link Apgd#runTarget}, reaching its target
 * @param firstSuccessIteration iteration (0 = the starting point) of the first such evaluation, -1
 *     if none; for compositions, the iteration within the member that broke the sample
 * @param gradients input-gradient evaluations spent (each EOT copy counts as one)
 * @param forwards gradient-free evaluations spent (purify-and-classify or classify; each copy
 *     counts), including ranking the classes of the clean image
 * @param evaluations stochastic evaluations of attack iterates whose prediction was seen (gradient
 *     and forward ones, each copy counts); the clean-image ranking call of APGD-T / FAB-T is not
 *     one
 * @param fooledEvaluations how many of those misclassified the sample
 * @param zeroGradients gradient calls that returned an all-zero input gradient
 * @param returnedMiss fraction of copies that missed the goal in the evaluation of the returned
 *     image (NaN when the returned image was never evaluated)
 */
public record AttackTrace(
        String attack,
        boolean success,
        int firstSuccessIteration,
        long gradients,
        long forwards,
        long evaluations,
        long fooledEvaluations,
        long zeroGradients,
        double returnedMiss) {

    /** Whether any evaluation during the attack misclassified the sample. */
    public boolean anyEvaluationFooled() {
        return fooledEvaluations > 0;
    }

    /** This trace followed by another attack's on the same sample: counts add up. */
    public AttackTrace then(
            AttackTrace next, String by, boolean nowSuccess, int iteration, double miss) {
        return new AttackTrace(
                by,
                nowSuccess,
                iteration,
                gradients + next.gradients,
                forwards + next.forwards,
                evaluations + next.evaluations,
                fooledEvaluations + next.fooledEvaluations,
                zeroGradients + next.zeroGradients,
                miss);
    }
}
