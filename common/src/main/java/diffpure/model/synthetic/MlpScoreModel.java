package diffpure.model.synthetic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A nonlinear score model: eps(y, t) = W2 tanh(W1 flat(y) + t w_t + b) reshaped, with seeded
 * Gaussian weights. The weight scale sets how far from linear (and how ill-conditioned) the chain
 * is.
 */
public final class MlpScoreModel extends AbstractSyntheticScoreModel {
    private final NDArray w1;
    private final NDArray w2;
    private final NDArray wt;
    private final NDArray b;

    /**
     * @param manager owns the weights (their device is the model's)
     * @param hidden hidden width
     * @param scale weight scale: W1 ~ N(0, scale^2 / dim), W2 ~ N(0, scale^2 / hidden)
     */
    public MlpScoreModel(NDManager manager, Shape imageShape, int hidden, double scale, long seed) {
        super(
                imageShape,
                "mlp-score(hidden=" + hidden + ", scale=" + scale + ", seed=" + seed + ")");
        int dim = (int) imageShape.size();
        this.w1 =
                Weights.gaussian(manager, seed, 1, scale / Math.sqrt(dim), new Shape(dim, hidden));
        this.w2 =
                Weights.gaussian(
                        manager, seed, 2, scale / Math.sqrt(hidden), new Shape(hidden, dim));
        this.wt = Weights.gaussian(manager, seed, 3, 1.0, new Shape(1, hidden));
        this.b = Weights.gaussian(manager, seed, 4, 0.1, new Shape(1, hidden));
    }

    @Override
    public NDArray predictNoise(NDArray y, NDArray t) {
        long n = y.getShape().get(0);
        NDArray h = y.reshape(n, -1).matMul(w1).add(t.reshape(n, 1).matMul(wt)).add(b).tanh();
        return h.matMul(w2).reshape(y.getShape());
    }
}
