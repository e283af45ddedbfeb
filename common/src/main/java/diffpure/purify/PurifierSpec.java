package diffpure.purify;

import diffpure.model.ScoreModel;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ProbabilityFlowOde;
import diffpure.sde.ReverseChain;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.sde.VpSchedule;
import diffpure.solver.DdpmAncestral;
import diffpure.solver.EulerMaruyama;
import java.util.Locale;

/**
 * Which purification to run, as plain values (config keys under {@code purify}): the kind of chain,
 * t*, the time grid, the DDPM step count and the forward alpha-bar. Immutable; {@link #build}
 * checks it against a model.
 *
 * @param kind vp-sde (Euler-Maruyama on the reverse SDE), pf-ode (Euler on the probability-flow
 *     ODE) or ddpm (ancestral sampler over the 1000-step discrete schedule)
 * @param tStar diffusion time t* in (0, 1] (vp-sde, pf-ode)
 * @param tEnd end of the reverse grid (reference: 1e-5)
 * @param dt grid step (reference: 1e-3)
 * @param ddpmSteps discrete start step for ddpm (CelebA-HQ: 500)
 * @param forwardAlphaBar which alpha-bar the forward diffusion uses
 * @param ddpmRespacedSteps ddpm only: the sampler respaced to this many steps (DiffHammer's
 *     official defence: 100 respaced to 10); 0 for every discrete step
 */
public record PurifierSpec(
        Kind kind,
        double tStar,
        double tEnd,
        double dt,
        int ddpmSteps,
        ForwardAlphaBar forwardAlphaBar,
        int ddpmRespacedSteps)
        implements java.io.Serializable {

    /** A spec without respacing. */
    public PurifierSpec(
            Kind kind,
            double tStar,
            double tEnd,
            double dt,
            int ddpmSteps,
            ForwardAlphaBar forwardAlphaBar) {
        this(kind, tStar, tEnd, dt, ddpmSteps, forwardAlphaBar, 0);
    }

    /** The chain families. */
    public enum Kind {
        VP_SDE,
        PF_ODE,
        DDPM;

        /**
         * Parses vp-sde, pf-ode or ddpm.
         *
         * @throws IllegalArgumentException naming purify.kind and the valid values
         */
        public static Kind parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "purify.kind must be vp-sde, pf-ode or ddpm, found '" + name + "'", e);
            }
        }

        /** The config spelling. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * The reference's settings at t*: reverse SDE, dt 1e-3 down to 1e-5, discrete forward
     * alpha-bar.
     */
    public static PurifierSpec reference(double tStar) {
        return new PurifierSpec(Kind.VP_SDE, tStar, 1e-5, 1e-3, 0, ForwardAlphaBar.DISCRETE);
    }

    /** The same spec with another grid step. */
    public PurifierSpec withDt(double newDt) {
        return new PurifierSpec(
                kind, tStar, tEnd, newDt, ddpmSteps, forwardAlphaBar, ddpmRespacedSteps);
    }

    /** The reverse chain under a schedule (checks t*, dt and the step count). */
    public ReverseChain chain(VpSchedule schedule) {
        if (kind == Kind.DDPM) {
            return ddpmRespacedSteps > 0
                    ? DdpmAncestral.respaced(schedule, ddpmSteps, ddpmRespacedSteps)
                    : DdpmAncestral.chain(schedule, ddpmSteps);
        }
        TimeGrid grid = TimeGrid.of(tStar, tEnd, dt);
        double abar = forwardAlphaBar.at(schedule, tStar);
        return kind == Kind.VP_SDE
                ? EulerMaruyama.chain(new ReverseVpSde(schedule), grid, abar)
                : EulerMaruyama.chain(new ProbabilityFlowOde(schedule), grid, abar);
    }

    /**
     * The purifier for a model, refused when the chain leaves the model's trained time range.
     *
     * @param schedule the model's schedule (from its manifest)
     */
    public DiffusionPurifier build(ScoreModel model, VpSchedule schedule) {
        return new DiffusionPurifier(model, chain(schedule));
    }
}
