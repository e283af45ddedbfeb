package diffpure.solver;

import diffpure.sde.ChainStep;
import diffpure.sde.CoarseChain;
import diffpure.sde.LinearEpsSde;
import diffpure.sde.ReverseChain;
import diffpure.sde.TimeGrid;
import java.util.ArrayList;
import java.util.List;

/**
 * Euler-Maruyama on an explicit grid: y_{k+1} = y_k + h_k D(y_k, t_k) + g(t_k) sqrt(h_k) z_k. For
 * an ODE (g = 0) this is the explicit Euler method.
 */
public final class EulerMaruyama {
    private EulerMaruyama() {}

    /**
     * The chain for the given problem.
     *
     * @param sde the reverse-time problem
     * @param grid the time grid, starting at t*
     * @param alphaBarStar the forward-diffusion alpha-bar
     */
    public static ReverseChain chain(LinearEpsSde sde, TimeGrid grid, double alphaBarStar) {
        List<ChainStep> steps = new ArrayList<>(grid.steps());
        for (int k = 0; k < grid.steps(); k++) {
            double t = grid.time(k);
            double h = grid.stepSize(k);
            steps.add(
                    new ChainStep(
                            t,
                            1 + h * sde.stateDrift(t),
                            h * sde.epsDrift(t),
                            sde.diffusion(t) * Math.sqrt(h)));
        }
        String name =
                String.format(
                        "%s-euler t*=%s t-end=%s steps=%d",
                        sde.name(), grid.time(0), grid.time(grid.steps()), grid.steps());
        return new ReverseChain(
                name,
                alphaBarStar,
                grid.time(0),
                steps,
                new Coarsening(sde, grid, alphaBarStar),
                stateAlphaBars(sde, grid, alphaBarStar));
    }

    /**
     * alpha-bar* for y_0 (the forward diffusion's, discrete or continuous), the problem's
     * alpha-bar(t_k) for y_k; null when the problem has none.
     */
    private static List<Double> stateAlphaBars(
            LinearEpsSde sde, TimeGrid grid, double alphaBarStar) {
        List<Double> out = new ArrayList<>(grid.steps() + 1);
        out.add(alphaBarStar);
        for (int k = 1; k <= grid.steps(); k++) {
            double a = sde.alphaBar(grid.time(k));
            if (Double.isNaN(a)) {
                return null;
            }
            out.add(a);
        }
        return out;
    }

    /**
     * The same problem on a sub-grid of the grid's own points; a coarse step's Brownian increment
     * is the sum of the increments sqrt(h_j) z_j of the steps it spans, so its draw weights them by
     * sqrt(h_j / H).
     */
    record Coarsening(LinearEpsSde sde, TimeGrid grid, double alphaBarStar)
            implements ReverseChain.Coarsening {
        @Override
        public CoarseChain coarsen(int[] starts) {
            ReverseChain coarse = chain(sde, grid.subgrid(starts), alphaBarStar);
            double[] weights = new double[grid.steps()];
            for (int k = 0; k + 1 < starts.length; k++) {
                double span = grid.time(starts[k]) - grid.time(starts[k + 1]);
                for (int j = starts[k]; j < starts[k + 1]; j++) {
                    weights[j] =
                            starts[k + 1] - starts[k] == 1 ? 1 : Math.sqrt(grid.stepSize(j) / span);
                }
            }
            return new CoarseChain(coarse, starts, weights);
        }
    }
}
