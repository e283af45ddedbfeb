package diffpure.config;

import diffpure.purify.PurifierSpec;
import diffpure.solver.ForwardAlphaBar;
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
 */
public record PurifySettings(
        String kind, double tStar, double tEnd, double dt, int ddpmSteps, String forwardAlphaBar)
        implements Serializable {

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
