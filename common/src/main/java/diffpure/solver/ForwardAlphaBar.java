package diffpure.solver;

import diffpure.sde.VpSchedule;

/** Which alpha-bar the forward-diffusion step uses. */
public enum ForwardAlphaBar {
    /** The reference's choice: the discrete 1000-step DDPM schedule at index t* 1000 - 1. */
    DISCRETE,
    /** The continuous alpha-bar(t*). */
    CONTINUOUS;

    /** alpha-bar* for diffusion time tStar under the schedule. */
    public double at(VpSchedule schedule, double tStar) {
        return this == DISCRETE
                ? schedule.discreteAlphaBar(VpSchedule.discreteIndex(tStar))
                : schedule.alphaBar(tStar);
    }
}
