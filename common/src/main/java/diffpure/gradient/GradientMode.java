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

    /** The mode's name as used in config and result rows. */
    String name();
}
