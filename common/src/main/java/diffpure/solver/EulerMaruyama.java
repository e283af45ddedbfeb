package diffpure.solver;

import diffpure.sde.ChainStep;
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
        return new ReverseChain(name, alphaBarStar, grid.time(0), steps);
    }
}
