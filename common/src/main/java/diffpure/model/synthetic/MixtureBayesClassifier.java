package diffpure.model.synthetic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.Classifier;
import diffpure.torch.Scalars;

/**
 * The Bayes rule of a clean {@link GaussianMixture}: logits log pi_c - |u - mu_c|^2 / (2 s^2) with
 * u = 2x - 1, the class log-posterior up to a constant. Differentiable tensor ops in the input's
 * data type.
 */
public final class MixtureBayesClassifier implements Classifier {
    private final GaussianMixture mixture;
    private final NDArray means; // [1, K, D], float64
    private final NDArray logWeights; // [1, K], float64

    /**
     * @param manager owns the classifier's constants
     */
    public MixtureBayesClassifier(NDManager manager, GaussianMixture mixture) {
        this.mixture = mixture;
        this.means = MixtureScoreModel.meansTensor(manager, mixture);
        this.logWeights = MixtureScoreModel.logWeightsTensor(manager, mixture);
    }

    @Override
    public NDArray logits(NDArray x) {
        long n = x.getShape().get(0);
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x);
            NDArray mu = MixtureScoreModel.scoped(means.toType(x.getDataType(), true), scope);
            NDArray lw = MixtureScoreModel.scoped(logWeights.toType(x.getDataType(), true), scope);
            // constants through Scalars: x may carry a graph (see Scalars)
            NDArray u = Scalars.sub(Scalars.mul(x.reshape(n, 1, -1), 2), 1); // [n, 1, D]
            NDArray d2 = u.sub(mu).square().sum(new int[] {2}); // [n, K]
            double s2 = mixture.std() * mixture.std();
            return scope.ret(lw.sub(Scalars.div(d2, 2 * s2)));
        }
    }

    @Override
    public int classes() {
        return mixture.classes();
    }

    @Override
    public Shape imageShape() {
        return mixture.imageShape();
    }

    @Override
    public String describe() {
        return "mixture-bayes(" + mixture + ")";
    }
}
