package diffpure.sde;

/**
 * One step of a reverse chain, affine in the state y and the predicted noise eps: y' = stateScale *
 * y + epsScale * eps(y, modelTime) + noiseScale * z, with z standard normal.
 *
 * <p>Every purifier (Euler-Maruyama on the reverse VP-SDE, Euler on the probability-flow ODE, the
 * DDPM ancestral sampler) is a list of such steps, so the stepping loop and every gradient mode are
 * written once: the step's Jacobian is stateScale * I + epsScale * d eps / dy.
 *
 * @param modelTime the time label passed to the score model, in (0, 1]
 * @param stateScale coefficient of y
 * @param epsScale coefficient of eps(y, modelTime); 0 for problems without a model (tests)
 * @param noiseScale coefficient of the step's standard normal draw; 0 for deterministic steps
 */
public record ChainStep(double modelTime, double stateScale, double epsScale, double noiseScale) {
    public ChainStep {
        if (!Double.isFinite(stateScale)
                || stateScale == 0
                || !Double.isFinite(epsScale)
                || !(noiseScale >= 0)
                || !Double.isFinite(noiseScale)) {
            throw new IllegalArgumentException("invalid chain step " + this);
        }
    }

    /** Whether the step draws noise. */
    public boolean isStochastic() {
        return noiseScale > 0;
    }

    /** Whether the step calls the score model. */
    public boolean usesModel() {
        return epsScale != 0;
    }
}
