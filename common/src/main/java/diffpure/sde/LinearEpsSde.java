package diffpure.sde;

/**
 * A reverse-time SDE whose drift, in the direction of travel (towards t = 0), is affine in the
 * state and the predicted noise: D(y, t) = stateDrift(t) y + epsDrift(t) eps(y, t), with diffusion
 * g(t) dW.
 */
public interface LinearEpsSde {
    /** Coefficient of y in the drift at time t. */
    double stateDrift(double t);

    /** Coefficient of eps(y, t) in the drift at time t. */
    double epsDrift(double t);

    /** Diffusion coefficient g(t); 0 for an ODE. */
    double diffusion(double t);

    /**
     * alpha-bar(t) of the forward process whose marginals this problem reverses; NaN when it has
     * none (then its chains carry no state alpha-bars).
     */
    default double alphaBar(double t) {
        return Double.NaN;
    }

    /** Short name for logs. */
    String name();
}
