package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.noise.NoiseSource;

/**
 * Draws independent of a source's own, from the same keys: step s is drawn at step 2^31 + s, which
 * no chain reaches ({@link diffpure.sde.TimeGrid} stops at 10^7 steps). For a surrogate chain with
 * its own noise (attack.surrogate-noise = independent, as Lee &amp; Kim's), forward diffusion
 * included, still a pure function of the row's key.
 */
final class FreshNoise implements NoiseSource {
    static final long STEP_OFFSET = 1L << 31;
    private final NoiseSource keys;

    FreshNoise(NoiseSource keys) {
        this.keys = keys;
    }

    @Override
    public int rows() {
        return keys.rows();
    }

    @Override
    public NDArray draw(NDManager manager, long step, Shape imageShape) {
        return keys.draw(manager, STEP_OFFSET + step, imageShape);
    }

    @Override
    public NoiseSource slice(int from, int to) {
        return new FreshNoise(keys.slice(from, to));
    }
}
