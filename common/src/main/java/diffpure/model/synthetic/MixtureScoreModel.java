package diffpure.model.synthetic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import diffpure.sde.VpSchedule;

/**
 * The exact noise predictor of a {@link GaussianMixture} diffused by the VP forward process: eps(y,
 * t) = -sigma(t) grad log p_t(y) = sigma(t) (y - sqrt(a) sum_c w_c(y) mu_c) / v, with a the
 * continuous alpha-bar(t), v = a s^2 + 1 - a and w_c(y) the class posterior of y (a softmax). Built
 * from differentiable tensor ops in the input's data type (float64 input gives float64 output), so
 * every gradient mode runs through it.
 */
public final class MixtureScoreModel extends AbstractSyntheticScoreModel {
    private final GaussianMixture mixture;
    private final VpSchedule schedule;
    private final NDArray means; // [1, K, D], float64; cast per call
    private final NDArray logWeights; // [1, K], float64

    /**
     * @param manager owns the model's constants (their device is the model's)
     */
    public MixtureScoreModel(NDManager manager, GaussianMixture mixture, VpSchedule schedule) {
        super(mixture.imageShape(), "mixture-score(" + mixture + ")");
        this.mixture = mixture;
        this.schedule = schedule;
        this.means = meansTensor(manager, mixture);
        this.logWeights = logWeightsTensor(manager, mixture);
    }

    public VpSchedule schedule() {
        return schedule;
    }

    public GaussianMixture mixture() {
        return mixture;
    }

    @Override
    public NDArray predictNoise(NDArray y, NDArray t) {
        long n = y.getShape().get(0);
        DataType type = y.getDataType();
        try (NDManager scope = NDManager.subManagerOf(y)) {
            scope.tempAttachAll(y, t);
            // Per-row coefficients from t (no gradient flows to t, so DJL's constants are safe).
            NDArray tt = t.reshape(n, 1).toType(DataType.FLOAT64, false);
            NDArray abar =
                    tt.mul(-schedule.betaMin())
                            .sub(tt.square().mul(0.5 * (schedule.betaMax() - schedule.betaMin())))
                            .exp();
            NDArray root = abar.sqrt().toType(type, false); // [n, 1]
            NDArray variance = abar.mul(mixture.std() * mixture.std()).add(abar.neg().add(1));
            NDArray twiceVariance = variance.mul(2).toType(type, false);
            NDArray sigmaOverVariance =
                    abar.neg().add(1).sqrt().div(variance).toType(type, false); // [n, 1]
            NDArray mu = scoped(means.toType(type, true), scope); // [1, K, D]
            NDArray flat = y.reshape(n, 1, -1); // [n, 1, D]
            NDArray centres = mu.mul(root.reshape(n, 1, 1)); // [n, K, D], no gradient
            NDArray d2 = flat.sub(centres).square().sum(new int[] {2}); // [n, K]
            NDArray w =
                    scoped(logWeights.toType(type, true), scope)
                            .sub(d2.div(twiceVariance))
                            .softmax(1);
            NDArray posteriorMean = w.expandDims(1).matMul(centres).reshape(n, -1); // [n, D]
            NDArray eps =
                    y.reshape(n, -1)
                            .sub(posteriorMean)
                            .mul(sigmaOverVariance)
                            .reshape(y.getShape());
            return scope.ret(eps);
        }
    }

    /** A copy of a model constant, owned by the call's scope rather than the model's manager. */
    static NDArray scoped(NDArray copy, NDManager scope) {
        copy.attach(scope);
        return copy;
    }

    static NDArray meansTensor(NDManager manager, GaussianMixture mixture) {
        int k = mixture.classes();
        int d = mixture.dimension();
        double[] data = new double[k * d];
        for (int c = 0; c < k; c++) {
            System.arraycopy(mixture.mean(c), 0, data, c * d, d);
        }
        return manager.create(data, new Shape(1, k, d));
    }

    static NDArray logWeightsTensor(NDManager manager, GaussianMixture mixture) {
        double[] data = new double[mixture.classes()];
        for (int c = 0; c < data.length; c++) {
            data[c] = mixture.logWeight(c);
        }
        return manager.create(data, new Shape(1, data.length));
    }
}
