package diffpure.model.synthetic;

import ai.djl.ndarray.NDManager;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import diffpure.sde.VpSchedule;

/**
 * The analytic chain defence: data from a {@link GaussianMixture}, the exact score of the mixture
 * diffused to time t ({@link MixtureScoreModel}) and the Bayes rule of the clean mixture ({@link
 * MixtureBayesClassifier}). Purification through it is the project's real chain (any {@link
 * PurifierSpec}, randomized by the same noise keys), but a step costs microseconds, so attack
 * budgets can be compared on thousands of samples on a CPU; and the law of a purified image is
 * known in closed form ({@link GaussianMixture#posterior}).
 *
 * @param mixture the data distribution
 * @param scoreModel its exact noise predictor under the VP schedule
 * @param classifier the Bayes rule of the clean mixture
 */
public record AnalyticDefence(
        GaussianMixture mixture, MixtureScoreModel scoreModel, MixtureBayesClassifier classifier) {
    /**
     * The standard mixture: 4 equal classes on a circle of radius 0.7 in a 2-pixel image, std 0.1:
     * the Bayes regions are the quadrants of u = 2x - 1, each mean 0.49 (4.9 std) from them.
     */
    public static final GaussianMixture STANDARD = GaussianMixture.onCircle(4, 0.7, 0.1);

    /** The defence of the standard mixture under the default VP schedule. */
    public static AnalyticDefence standard(NDManager manager) {
        return of(manager, STANDARD, VpSchedule.DEFAULT);
    }

    /** The defence of any mixture; the manager owns the models' constants. */
    public static AnalyticDefence of(
            NDManager manager, GaussianMixture mixture, VpSchedule schedule) {
        return new AnalyticDefence(
                mixture,
                new MixtureScoreModel(manager, mixture, schedule),
                new MixtureBayesClassifier(manager, mixture));
    }

    /** The evaluation set: {@code size} samples drawn with {@code seed}. */
    public MixtureDataset data(int size, long seed) {
        return new MixtureDataset(mixture, size, seed);
    }

    /** The purifier a spec describes, through this defence's exact score. */
    public DiffusionPurifier purifier(PurifierSpec spec) {
        return spec.build(scoreModel, scoreModel.schedule());
    }
}
