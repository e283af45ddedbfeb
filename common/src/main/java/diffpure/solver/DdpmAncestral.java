package diffpure.solver;

import diffpure.sde.ChainStep;
import diffpure.sde.ReverseChain;
import diffpure.sde.VpSchedule;
import java.util.ArrayList;
import java.util.List;

/**
 * The discrete DDPM ancestral sampler (SDEdit, the CelebA-HQ setting): forward to index n - 1 with
 * the discrete alpha-bar, then for i = n-1 .. 0: y = (y - beta_i / sqrt(1 - alpha-bar_i) eps(y, i))
 * / sqrt(alpha_i) + sigma_i z, posterior variance sigma_i^2 = beta_i (1 - alpha-bar_{i-1}) / (1 -
 * alpha-bar_i), no noise at i = 0. The model time is (i + 0.5) / 1000 so that floor(1000 t) = i
 * survives float rounding.
 */
public final class DdpmAncestral {
    private DdpmAncestral() {}

    /**
     * The chain starting at discrete step {@code startSteps} (500 in the paper's CelebA-HQ
     * setting).
     *
     * @throws IllegalArgumentException when startSteps is outside [1, 1000]
     */
    public static ReverseChain chain(VpSchedule schedule, int startSteps) {
        if (startSteps < 1 || startSteps > VpSchedule.DISCRETE_STEPS) {
            throw new IllegalArgumentException(
                    "purify.ddpm-steps must be in [1, 1000], found " + startSteps);
        }
        double[] alphaBar = new double[startSteps];
        double log = 0;
        for (int i = 0; i < startSteps; i++) {
            log += Math.log1p(-schedule.discreteBeta(i));
            alphaBar[i] = Math.exp(log);
        }
        List<ChainStep> steps = new ArrayList<>(startSteps);
        for (int i = startSteps - 1; i >= 0; i--) {
            double beta = schedule.discreteBeta(i);
            double alpha = 1 - beta;
            double oneMinusBar = 1 - alphaBar[i];
            double sigma = i == 0 ? 0 : Math.sqrt(beta * (1 - alphaBar[i - 1]) / oneMinusBar);
            steps.add(
                    new ChainStep(
                            (i + 0.5) / VpSchedule.DISCRETE_STEPS,
                            1 / Math.sqrt(alpha),
                            -beta / (Math.sqrt(oneMinusBar) * Math.sqrt(alpha)),
                            sigma));
        }
        return new ReverseChain(
                "ddpm-ancestral steps=" + startSteps,
                alphaBar[startSteps - 1],
                (double) startSteps / VpSchedule.DISCRETE_STEPS,
                steps);
    }
}
