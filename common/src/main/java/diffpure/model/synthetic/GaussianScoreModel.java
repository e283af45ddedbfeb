package diffpure.model.synthetic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import diffpure.sde.VpSchedule;

/**
 * The exact noise predictor for data u ~ N(mean, std^2 I) in [-1, 1] space: under the VP forward
 * process y_t ~ N(sqrt(abar) mean, (abar std^2 + 1 - abar) I), so eps(y, t) = sigma(t) (y -
 * sqrt(abar) mean) / (abar std^2 + 1 - abar). Linear in y: well conditioned, and its purification
 * has a known distribution.
 */
public final class GaussianScoreModel extends AbstractSyntheticScoreModel {
    private final VpSchedule schedule;
    private final double mean;
    private final double std;

    public GaussianScoreModel(VpSchedule schedule, Shape imageShape, double mean, double std) {
        super(imageShape, "gaussian-score(mean=" + mean + ", std=" + std + ")");
        this.schedule = schedule;
        this.mean = mean;
        this.std = std;
    }

    @Override
    public NDArray predictNoise(NDArray y, NDArray t) {
        // Per-row coefficients from t, computed as tensor ops so rows may carry different times.
        NDArray tt = t.reshape(t.getShape().get(0), 1, 1, 1).toType(y.getDataType(), false);
        NDArray logAbar =
                tt.mul(-schedule.betaMin())
                        .sub(tt.square().mul(0.5 * (schedule.betaMax() - schedule.betaMin())));
        NDArray abar = logAbar.exp();
        NDArray sigma = abar.neg().add(1).sqrt();
        NDArray variance = abar.mul(std * std).add(abar.neg().add(1));
        return y.sub(abar.sqrt().mul(mean)).mul(sigma).div(variance);
    }
}
