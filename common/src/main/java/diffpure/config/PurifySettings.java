package diffpure.config;

import java.io.Serializable;

/**
 * The defence: see {@code diffpure.purify.PurifierSpec} for the meaning of each field; {@code
 * diffpure.purify.Purifiers} builds the purifier from it.
 *
 * @param kind vp-sde, pf-ode or ddpm
 * @param tStar diffusion time t*
 * @param tEnd end of the reverse grid
 * @param dt grid step
 * @param ddpmSteps start step of the ddpm sampler
 * @param forwardAlphaBar discrete or continuous
 * @param resize none or bilinear: how a classifier's images reach a score model of another size
 *     ({@code diffpure.purify.InputResize})
 * @param ddpmRespacedSteps ddpm only: the sampler respaced to this many steps; 0 = every step
 */
public record PurifySettings(
        String kind,
        double tStar,
        double tEnd,
        double dt,
        int ddpmSteps,
        String forwardAlphaBar,
        String resize,
        int ddpmRespacedSteps)
        implements Serializable {

    /**
     * The t* the purifier really starts from: t-star for the SDE and ODE chains, ddpm-steps / 1000
     * for the ancestral sampler (which ignores t-star).
     */
    public double tStarUsed() {
        return "ddpm".equals(kind) ? ddpmSteps / 1000.0 : tStar;
    }

    /**
     * The grid step the purifier really uses: dt for the SDE and ODE chains, one discrete step
     * (1/1000) for the ancestral sampler (which ignores dt), its stride when it is respaced.
     */
    public double dtUsed() {
        if (!"ddpm".equals(kind)) {
            return dt;
        }
        return ddpmRespacedSteps > 0 ? ddpmSteps / 1000.0 / ddpmRespacedSteps : 1e-3;
    }
}
