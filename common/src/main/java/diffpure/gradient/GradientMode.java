package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import diffpure.model.Classifier;
import diffpure.noise.NoiseSource;
import diffpure.purify.DiffusionPurifier;

/**
 * How the input gradient of (classifier o purifier) is computed. All modes return the loss and
 * logits of the same draw they differentiate, and never compute parameter gradients.
 */
public interface GradientMode {
    /**
     * Loss, logits and input gradient for each row.
     *
     * @param purifier the purification chain
     * @param classifier the classifier applied to the purified rows
     * @param objective the per-row loss
     * @param x float32[R, C, H, W] in [0, 1]
     * @param labels [R]
     * @param noise one key per row
     */
    RowGradient compute(
            DiffusionPurifier purifier,
            Classifier classifier,
            Objective objective,
            NDArray x,
            NDArray labels,
            NoiseSource noise);

    /**
     * The same mode with DiffAttack's deviation term added to every row's loss, its gradient
     * entering the backward walk at the states it includes ({@link DeviationLoss}). With the term
     * off, this mode itself.
     *
     * @throws IllegalArgumentException naming attack.deviation-weight and the mode when the mode
     *     cannot carry the term's gradient (the default: adjoint, bpda)
     */
    default GradientMode withDeviation(DeviationLoss deviation) {
        if (deviation.isOff()) {
            return this;
        }
        throw new IllegalArgumentException(
                "attack.deviation-weight = "
                        + deviation.weight()
                        + " needs a gradient mode that walks the chain's stored states back"
                        + " (exact, checkpointed, backprop or surrogate); attack.gradient-mode = "
                        + name()
                        + " cannot carry the deviation term's gradient");
    }

    /** The mode's name as used in config and result rows. */
    String name();
}
