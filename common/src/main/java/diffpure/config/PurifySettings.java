package diffpure.config;

import diffpure.model.Classifier;
import diffpure.model.ScoreModel;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.InputResize;
import diffpure.purify.PurifierSpec;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.VpSchedule;
import java.io.Serializable;

/**
 * The defence: see {@link PurifierSpec} for the meaning of each field.
 *
 * @param kind vp-sde, pf-ode or ddpm
 * @param tStar diffusion time t*
 * @param tEnd end of the reverse grid
 * @param dt grid step
 * @param ddpmSteps start step of the ddpm sampler
 * @param forwardAlphaBar discrete or continuous
 * @param resize none or bilinear: how a classifier's images reach a score model of another size
 *     ({@link InputResize})
 */
public record PurifySettings(
        String kind,
        double tStar,
        double tEnd,
        double dt,
        int ddpmSteps,
        String forwardAlphaBar,
        String resize)
        implements Serializable {

    /** purify.resize, parsed. */
    public InputResize inputResize() {
        return InputResize.parse(resize);
    }

    /**
     * The purifier for a score model and the classifier after it: {@link #spec()} built on the
     * model's schedule, resized to the classifier's input shape where purify.resize allows it.
     *
     * @throws IllegalArgumentException naming both shapes and purify.resize when the models take
     *     different shapes and no resize is configured, or the chain leaves the model's trained
     *     time range
     */
    public DiffusionPurifier purifier(
            ScoreModel scoreModel, VpSchedule schedule, Classifier classifier) {
        return inputResize()
                .adapt(
                        spec().build(scoreModel, schedule),
                        classifier.imageShape(),
                        classifier.describe());
    }

    /**
     * The t* the purifier really starts from: t-star for the SDE and ODE chains, ddpm-steps / 1000
     * for the ancestral sampler (which ignores t-star).
     */
    public double tStarUsed() {
        return "ddpm".equals(kind) ? ddpmSteps / 1000.0 : tStar;
    }

    /**
     * The grid step the purifier really uses: dt for the SDE and ODE chains, one discrete step
     * (1/1000) for the ancestral sampler (which ignores dt).
     */
    public double dtUsed() {
        return "ddpm".equals(kind) ? 1e-3 : dt;
    }

    /** The purifier spec (checked values). */
    public PurifierSpec spec() {
        ForwardAlphaBar fab =
                switch (forwardAlphaBar) {
                    case "discrete" -> ForwardAlphaBar.DISCRETE;
                    case "continuous" -> ForwardAlphaBar.CONTINUOUS;
                    default ->
                            throw new ConfigError(
                                    "purify.forward-alpha-bar must be discrete or continuous, found"
                                            + " '"
                                            + forwardAlphaBar
                                            + "'");
                };
        return new PurifierSpec(PurifierSpec.Kind.parse(kind), tStar, tEnd, dt, ddpmSteps, fab);
    }
}
