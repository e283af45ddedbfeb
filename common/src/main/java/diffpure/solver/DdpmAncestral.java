package diffpure.solver;

import diffpure.sde.ChainStep;
import diffpure.sde.CoarseChain;
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
        double[] alphaBar = alphaBars(schedule, startSteps);
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
                steps,
                new Coarsening(schedule, startSteps),
                stateAlphaBars(
                        alphaBar, startSteps, CoarseChain.evenStarts(startSteps, startSteps)));
    }

    /**
     * The chain starting at discrete step {@code startSteps} respaced to {@code steps} steps as
     * improved DDPM respaces a schedule (spans as even as the grid allows, {@link
     * CoarseChain#evenStarts}): DiffHammer's official defence is 100 steps respaced to 10 (stride
     * 10). Each respaced step is one ancestral step between the alpha-bars at its span's ends
     * ({@link Coarsening}); the chain can be coarsened again (a grafting or surrogate grid over its
     * own steps), its draws then summed by their noise scales.
     *
     * @throws IllegalArgumentException naming purify.ddpm-respaced-steps unless 1 &lt;= steps &lt;=
     *     startSteps
     */
    public static ReverseChain respaced(VpSchedule schedule, int startSteps, int steps) {
        ReverseChain fine = chain(schedule, startSteps);
        if (steps < 1 || steps > startSteps) {
            throw new IllegalArgumentException(
                    "purify.ddpm-respaced-steps must be in [1, "
                            + startSteps
                            + "] (purify.ddpm-steps), found "
                            + steps);
        }
        if (steps == startSteps) {
            return fine;
        }
        int[] outer = CoarseChain.evenStarts(startSteps, steps);
        ReverseChain r = new Coarsening(schedule, startSteps).coarsen(outer).chain();
        List<Integer> spans = new ArrayList<>();
        for (int j : outer) {
            spans.add(j);
        }
        return new ReverseChain(
                r.name(),
                r.alphaBarStar(),
                r.startTime(),
                r.steps(),
                new Respaced(schedule, startSteps, spans),
                r.stateAlphaBars());
    }

    /**
     * A respaced chain coarsened again: coarse step k spans the respaced steps [starts[k], starts[k
     * + 1]), which is the sampler over the discrete steps those span, respaced; its draw sums the
     * respaced steps' draws weighted by their noise scales, renormalised (as {@link Coarsening}
     * sums the fine draws).
     *
     * @param spans the respaced chain's span starts over the discrete steps
     */
    record Respaced(VpSchedule schedule, int startSteps, List<Integer> spans)
            implements ReverseChain.Coarsening {
        @Override
        public CoarseChain coarsen(int[] starts) {
            int length = spans.size() - 1;
            int m = starts.length - 1;
            int[] fine = new int[m + 1];
            for (int k = 0; k <= m; k++) {
                fine[k] = spans.get(starts[k]);
            }
            Coarsening discrete = new Coarsening(schedule, startSteps);
            ReverseChain chain = discrete.coarsen(fine).chain();
            if (m == length) {
                return new CoarseChain(chain, starts, Coarsening.ones(length));
            }
            int[] own = new int[length + 1];
            for (int j = 0; j <= length; j++) {
                own[j] = spans.get(j);
            }
            List<ChainStep> respaced = discrete.coarsen(own).chain().steps();
            double[] weights = new double[length];
            for (int k = 0; k < m; k++) {
                double total = 0;
                for (int j = starts[k]; j < starts[k + 1]; j++) {
                    total += respaced.get(j).noiseScale() * respaced.get(j).noiseScale();
                }
                for (int j = starts[k]; j < starts[k + 1]; j++) {
                    weights[j] = total == 0 ? 0 : respaced.get(j).noiseScale() / Math.sqrt(total);
                }
            }
            return new CoarseChain(chain, starts, weights);
        }
    }

    /**
     * The alpha-bar of each state of a chain whose step k starts at fine step starts[k]: fine state
     * j is at discrete index n - 1 - j (alpha-bar_{n-1-j}), the output y_N at 1.
     */
    private static List<Double> stateAlphaBars(double[] alphaBar, int n, int[] starts) {
        List<Double> out = new ArrayList<>(starts.length);
        for (int j : starts) {
            out.add(j == n ? 1.0 : alphaBar[n - 1 - j]);
        }
        return out;
    }

    /** alpha-bar_i = prod_{j <= i} (1 - beta_j) for i &lt; n. */
    private static double[] alphaBars(VpSchedule schedule, int n) {
        double[] alphaBar = new double[n];
        double log = 0;
        for (int i = 0; i < n; i++) {
            log += Math.log1p(-schedule.discreteBeta(i));
            alphaBar[i] = Math.exp(log);
        }
        return alphaBar;
    }

    /**
     * The sampler respaced to fewer steps (as improved DDPM respaces a schedule): a coarse step
     * spanning indices a down to b goes from alpha-bar_a to alpha-bar_{b-1} (1 when b = 0) in one
     * ancestral step with beta' = 1 - alpha-bar_a / alpha-bar_{b-1}, its posterior variance, the
     * model at index a, and no noise when b = 0. Its draw is the fine draws weighted by their noise
     * scales sigma_i and renormalised: the sum of the noise the defence adds over the span,
     * rescaled to unit variance.
     */
    record Coarsening(VpSchedule schedule, int startSteps) implements ReverseChain.Coarsening {
        @Override
        public CoarseChain coarsen(int[] starts) {
            int n = startSteps;
            int m = starts.length - 1;
            if (m == n) {
                return new CoarseChain(chain(schedule, n), starts, ones(n));
            }
            double[] alphaBar = alphaBars(schedule, n);
            List<ChainStep> steps = new ArrayList<>(m);
            double[] weights = new double[n];
            for (int k = 0; k < m; k++) {
                int a = n - 1 - starts[k];
                int b = n - starts[k + 1];
                double barA = alphaBar[a];
                double barPrev = b == 0 ? 1 : alphaBar[b - 1];
                double beta = a == b ? schedule.discreteBeta(a) : 1 - barA / barPrev;
                double alpha = 1 - beta;
                double sigma = b == 0 ? 0 : Math.sqrt(beta * (1 - barPrev) / (1 - barA));
                steps.add(
                        new ChainStep(
                                (a + 0.5) / VpSchedule.DISCRETE_STEPS,
                                1 / Math.sqrt(alpha),
                                -beta / (Math.sqrt(1 - barA) * Math.sqrt(alpha)),
                                sigma));
                double total = 0;
                for (int i = b; i <= a; i++) {
                    total += fineVariance(schedule, alphaBar, i);
                }
                for (int i = b; i <= a; i++) {
                    weights[n - 1 - i] =
                            total == 0 ? 0 : Math.sqrt(fineVariance(schedule, alphaBar, i) / total);
                }
            }
            return new CoarseChain(
                    new ReverseChain(
                            "ddpm-ancestral steps=" + n + " respaced to " + m,
                            alphaBar[n - 1],
                            (double) n / VpSchedule.DISCRETE_STEPS,
                            steps,
                            null,
                            stateAlphaBars(alphaBar, n, starts)),
                    starts,
                    weights);
        }

        /** sigma_i^2 of the fine sampler (0 at i = 0). */
        private static double fineVariance(VpSchedule schedule, double[] alphaBar, int i) {
            return i == 0
                    ? 0
                    : schedule.discreteBeta(i) * (1 - alphaBar[i - 1]) / (1 - alphaBar[i]);
        }

        private static double[] ones(int n) {
            double[] w = new double[n];
            java.util.Arrays.fill(w, 1);
            return w;
        }
    }
}
