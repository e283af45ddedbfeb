package diffpure.attack;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The outcome of an attack on a batch.
 *
 * @param adversarial float32[B, C, H, W], every row checked to lie in the threat model's ball and
 *     in [0, 1]; attached to the clean batch's manager
 * @param traces one per row, in batch order
 * @param distances ||adversarial - x|| per row in the threat model's norm, recomputed in double
 *     precision
 * @param checkpoints the attack's state at each budget checkpoint of its context, in order; empty
 *     when none was set
 * @param reEvaluatedShares per row, the share of correct classifications among the R re-evaluations
 *     of the returned image that a re-evaluated composition selected it by ({@link
 *     Composition#reEvaluations}); empty for every other attack
 */
public record AttackResult(
        NDArray adversarial,
        List<AttackTrace> traces,
        double[] distances,
        List<Checkpoint> checkpoints,
        double[] reEvaluatedShares) {
    public AttackResult {
        traces = List.copyOf(traces);
        distances = distances.clone();
        checkpoints = List.copyOf(checkpoints);
        reEvaluatedShares = reEvaluatedShares.clone();
        if (reEvaluatedShares.length != 0 && reEvaluatedShares.length != traces.size()) {
            throw new IllegalArgumentException(
                    reEvaluatedShares.length
                            + " re-evaluated shares for "
                            + traces.size()
                            + " rows");
        }
    }

    /** A result without re-evaluated shares. */
    public AttackResult(
            NDArray adversarial,
            List<AttackTrace> traces,
            double[] distances,
            List<Checkpoint> checkpoints) {
        this(adversarial, traces, distances, checkpoints, new double[0]);
    }

    /** The re-evaluated shares (a copy; empty unless a re-evaluated composition made them). */
    @Override
    public double[] reEvaluatedShares() {
        return reEvaluatedShares.clone();
    }

    /** A result without checkpoints. */
    public AttackResult(NDArray adversarial, List<AttackTrace> traces, double[] distances) {
        this(adversarial, traces, distances, List.of());
    }

    /** The distances (a copy). */
    @Override
    public double[] distances() {
        return distances.clone();
    }

    /** Trace of row i. */
    public AttackTrace trace(int i) {
        return traces.get(i);
    }
}
