package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.noise.NoiseSource;
import diffpure.sde.CoarseChain;

/**
 * The draws of a coarse chain from the fine chain's: the forward-diffusion draw as it is, coarse
 * step k's draw the weighted sum of the fine draws it spans ({@link CoarseChain#weight}), a fine
 * draw itself when the span is one step. So a surrogate chain sees the defence's own noise (summed
 * Brownian increments).
 */
final class CoarseNoise implements NoiseSource {
    private final NoiseSource fine;
    private final CoarseChain coarse;

    CoarseNoise(NoiseSource fine, CoarseChain coarse) {
        this.fine = fine;
        this.coarse = coarse;
    }

    @Override
    public int rows() {
        return fine.rows();
    }

    @Override
    public NDArray draw(NDManager manager, long step, Shape imageShape) {
        if (step < 0 || step >= coarse.length()) {
            // the forward diffusion's draw, and draws no chain step makes (a deviation term's
            // sample of states), are the fine source's own
            return fine.draw(manager, step, imageShape);
        }
        int from = coarse.start((int) step);
        int to = coarse.start((int) step + 1);
        if (to - from == 1) {
            return fine.draw(manager, from, imageShape);
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray sum = null;
            for (int j = from; j < to; j++) {
                NDArray z = fine.draw(scope, j, imageShape).mul(coarse.weight(j));
                sum = sum == null ? z : sum.add(z);
            }
            return scope.ret(sum);
        }
    }

    @Override
    public NoiseSource slice(int from, int to) {
        return new CoarseNoise(fine.slice(from, to), coarse);
    }
}
