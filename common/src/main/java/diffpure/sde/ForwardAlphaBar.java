package diffpure.sde;

/**
 * Which alpha-bar of the schedule the forward-diffusion step uses: part of the problem, like the
 * schedule itself, not of the integrator.
 */
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
