package diffpure.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A perceptual distance (LPIPS) between two batches of images float32[N,C,H,W] in [0, 1], one value
 * per row; any input scaling the network expects happens inside the model. Differentiable with
 * respect to either input under the calling thread's grad mode. Thread-safe.
 */
public interface PerceptualDistance {
    /** Distances float32[N], attached to a's manager. */
    NDArray distance(NDArray a, NDArray b);

    /** Per-image input shape [C, H, W]. */
    Shape imageShape();

    /** A short description for logs and result rows (name and sha256 prefix). */
    String describe();
}
