package diffpure.noise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Where a chain's standard normal draws come from, per row and step. {@link RowNoise} (one
 * counter-based key per row) is the one the product uses; tests plug in others, such as Brownian
 * paths refined across step sizes.
 */
public interface NoiseSource {
    /** Number of rows. */
    int rows();

    /**
     * Standard normal draws for every row at a step, shape [rows, imageShape...], created on the
     * manager.
     *
     * @param step reverse-chain step, -1 for the forward diffusion
     */
    NDArray draw(NDManager manager, long step, Shape imageShape);

    /** Rows [from, to) as their own source; a row's draws do not depend on the slice it is in. */
    NoiseSource slice(int from, int to);
}
