package diffpure.attack;

import ai.djl.ndarray.NDArray;
import diffpure.gradient.TargetModel;

/**
 * An adversarial attack: immutable configuration plus {@link #run}. Attacks query the model only
 * through {@link TargetModel} (so EOT, gradient mode and micro-batching live there), draw
 * randomness only from the project's counter-based noise, and return images checked to lie inside
 * their threat model.
 */
public interface Attack {
    /**
     * Attacks a batch.
     *
     * @param model the (defended or bare) model; EOT copies are batched inside it
     * @param x float32[B, C, H, W] clean images in [0, 1]
     * @param labels int64[B] true labels
     * @param sampleIds stable sample ids, for noise keys
     * @param context seed and stage for the attack's randomness and the model's draws
     * @throws IllegalArgumentException when the attack cannot be used with this model (too few
     *     classes, wrong gradient mode)
     * @throws IllegalStateException when a returned image would lie outside the threat model
     */
    AttackResult run(
            TargetModel model, NDArray x, NDArray labels, long[] sampleIds, AttackContext context);

    /**
     * Fails before any work when the attack cannot be used with the model (for example too few
     * classes for its loss), naming the attack and what is missing.
     *
     * @throws IllegalArgumentException when incompatible
     */
    default void requireCompatible(TargetModel model) {
        requireClassCount(model.classes());
    }

    /**
     * Fails before any work when the attack's loss or targets need more classes than the model has,
     * naming the attack and the class count (what the driver can check from a manifest).
     *
     * @throws IllegalArgumentException when incompatible
     */
    default void requireClassCount(int classes) {}

    /**
     * The purified copies each of the attack's steps is steered by, given the model's EOT: the EOT
     * itself, except for an attack that draws its own copies (DiffHammer's attack.evaluations).
     */
    default int copiesPerStep(int eot) {
        return eot;
    }

    /** Short name for result rows, e.g. "apgd-ce". */
    String name();

    /** The ball the returned images lie in. */
    ThreatModel threat();

    /** The main budget: iterations (or queries for Square). */
    int iterations();

    /**
     * Iterations the attack counts towards budget checkpoints over a whole run: its main budget,
     * times restarts and targets where it runs them one after another.
     */
    default long checkpointIterations() {
        return iterations();
    }

    /**
     * Whether the attack records budget checkpoints ({@link BudgetCheckpoints}); the others refuse
     * a context that asks for them.
     */
    default boolean recordsCheckpoints() {
        return false;
    }

    /** The same attack with another radius. */
    Attack withEps(double eps);

    /** The same attack with another main budget. */
    Attack withIterations(int iterations);
}
