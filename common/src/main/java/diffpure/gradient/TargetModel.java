package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import diffpure.noise.Purpose;

/**
 * What attacks query: a (possibly randomized) classifier that returns loss, logits and input
 * gradient from one stochastic draw, and plain logits for votes. {@link DefendedModel} is DiffPure
 * with EOT; {@link UndefendedModel} the bare classifier.
 */
public interface TargetModel {
    /**
     * One stochastic evaluation with input gradient.
     *
     * @param loss float32[B], the loss averaged over EOT copies
     * @param logits float32[B, eot, K]
     * @param gradient float32[B, C, H, W], d loss / d x averaged over EOT copies
     * @param diagnostics what the gradient mode measured
     */
    record Evaluation(
            NDArray loss, NDArray logits, NDArray gradient, GradientDiagnostics diagnostics) {}

    /**
     * Loss, logits and input gradient of the EOT-averaged loss, from one draw.
     *
     * @param x float32[B, C, H, W] in [0, 1]
     * @param labels [B]
     * @param sampleIds the stable id of each image, for its noise keys
     * @param objective the per-row loss
     * @param purpose why (attack, vote) the draw is made
     * @param draw which repetition (attack iteration); the same draw gives the same noise
     */
    Evaluation lossAndGradient(
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            Objective objective,
            Purpose purpose,
            long draw);

    /**
     * Logits of {@code copies} independent evaluations of each image, no graph: float32[B, copies,
     * K]. Used for votes (copies = K) and for in-loop success checks.
     */
    NDArray logits(NDArray x, long[] sampleIds, Purpose purpose, long draw, int copies);

    /**
     * This model with DiffAttack's deviation term ({@link DeviationLoss}) added to the loss of
     * every {@link #lossAndGradient}; this model itself when the term is off. Votes and {@link
     * #logits} are unchanged.
     *
     * @throws IllegalArgumentException naming attack.deviation-weight when the model has no reverse
     *     chain to measure the term on, or its gradient mode cannot carry it
     */
    default TargetModel withDeviation(DeviationLoss deviation) {
        if (deviation.isOff()) {
            return this;
        }
        throw new IllegalArgumentException(
                "attack.deviation-weight = "
                        + deviation.weight()
                        + " is measured on a purifier's reverse chain, which "
                        + describe()
                        + " does not have (attack a defended model)");
    }

    /**
     * Whether the attack's own evaluations (purpose {@link Purpose#PURIFY}: gradients and
     * gradient-free checks of iterates) are judged on a surrogate of this model rather than on the
     * model itself ({@code attack.surrogate-evaluation = checkpoints}). Then no such evaluation may
     * count a sample as broken, stop an attack early or count as a during-attack evaluation; votes
     * are the model's own.
     */
    default boolean judgesOnSurrogate() {
        return false;
    }

    /** Number of classes. */
    int classes();

    /** EOT copies averaged per gradient (1 for deterministic models). */
    int eot();

    /** Whether two evaluations of one input can differ. */
    boolean isRandomized();

    /** For logs and result rows. */
    String describe();
}
