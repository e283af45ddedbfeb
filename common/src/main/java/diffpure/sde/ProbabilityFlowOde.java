package diffpure.sde;

/**
 * The probability-flow ODE of the VP-SDE: dy/dt = -beta y / 2 - beta s / 2; in the direction of
 * travel D = beta y / 2 - beta eps / (2 sigma), no noise.
 */
public record ProbabilityFlowOde(VpSchedule schedule) implements LinearEpsSde {
    @Override
    public double stateDrift(double t) {
        return 0.5 * schedule.beta(t);
    }

    @Override
    public double epsDrift(double t) {
        return -0.5 * schedule.beta(t) / schedule.sigma(t);
    }

    @Override
    public double diffusion(double t) {
        return 0;
    }

    @Override
    public double alphaBar(double t) {
        return schedule.alphaBar(t);
    }

    @Override
    public String name() {
        return "pf-ode";
    }
}
