package diffpure.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Logits for images float32[N,C,H,W] in [0, 1] (normalisation is inside the model). Differentiable
 * with respect to the input under the calling thread's grad mode; evaluated in eval mode always.
 * Thread-safe.
 */
public interface Classifier {
    /** Logits float32[N, classes], attached to x's manager. */
    NDArray logits(NDArray x);

    /** Number of classes K. */
    int classes();

    /** Per-image input shape [C, H, W]. */
    Shape imageShape();

    /** A short description for logs and result rows. */
    String describe();
}
