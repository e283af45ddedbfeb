package diffpure.purify;

import ai.djl.ndarray.NDArray;
import diffpure.noise.NoiseSource;

/** Maps images in [0, 1] to purified images, one noise key per row. */
public interface Purifier {
    /**
     * Purifies a batch without recording a graph.
     *
     * @param x float32[R, C, H, W] in [0, 1]
     * @param noise one key per row
     * @return float32[R, C, H, W], attached to x's manager; not clamped (as in the reference)
     */
    NDArray purify(NDArray x, NoiseSource noise);

    /** A short description for logs and result rows. */
    String describe();
}
