package diffpure.sde;

/**
 * The reverse VP-SDE: dy = [-beta y / 2 - beta s(y, t)] dt + sqrt(beta) dw-bar, integrated from t*
 * to 0, with the score s = -eps / sqrt(1 - alpha-bar(t)). In the direction of travel, D = beta y /
 * 2 - beta eps / sigma.
 */
public record ReverseVpSde(VpSchedule schedule) implements LinearEpsSde {
    @Override
    public double stateDrift(double t) {
        return 0.5 * schedule.beta(t);
    }

    @Override
    public double epsDrift(double t) {
        return -schedule.beta(t) / schedule.sigma(t);
    }

    @Override
    public double diffusion(double t) {
        return Math.sqrt(schedule.beta(t));
    }

    @Override
    public double alphaBar(double t) {
        return schedule.alphaBar(t);
    }

    @Override
    public String name() {
        return "vp-sde";
    }
}
