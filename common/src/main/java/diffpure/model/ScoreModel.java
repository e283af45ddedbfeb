package diffpure.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A VP-SDE noise predictor: eps(y, t) for y float32[N,C,H,W] in roughly [-1, 1] and t float32[N] in
 * (0, 1]. Differentiable with respect to y under the calling thread's grad mode; never computes
 * parameter gradients. Implementations are thread-safe.
 */
public interface ScoreModel {
    /** Predicted noise, same shape as y; attached to y's manager. */
    NDArray predictNoise(NDArray y, NDArray t);

    /** Per-image input shape [C, H, W]. */
    Shape imageShape();

    /** The range of diffusion times the model was trained on; purifiers outside it are refused. */
    double minTime();

    /** See {@link #minTime()}. */
    double maxTime();

    /** A short description (name and sha256 prefix) for logs and result rows. */
    String describe();
}
