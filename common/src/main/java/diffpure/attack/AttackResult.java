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
 */
public record AttackResult(
        NDArray adversarial,
        List<AttackTrace> traces,
        double[] distances,
        List<Checkpoint> checkpoints) {
    public AttackResult {
        traces = List.copyOf(traces);
        distances = distances.clone();
        checkpoints = List.copyOf(checkpoints);
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
