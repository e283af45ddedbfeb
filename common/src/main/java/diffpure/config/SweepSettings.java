package diffpure.config;

import java.io.Serializable;
import java.util.List;

/**
 * The values a run sweeps (section {@code sweep}, the paper's ablations): each eps (and each t*)
 * becomes a separate attack setting of the same run, on the same samples. Empty lists: no sweep,
 * the run has the one setting of attack.eps and purify.t-star.
 *
 * @param eps attack radii (replace attack.eps)
 * @param tStar diffusion times (replace purify.t-star)
 */
public record SweepSettings(List<Double> eps, List<Double> tStar) implements Serializable {
    /** No sweep. */
    public static final SweepSettings NONE = new SweepSettings(List.of(), List.of());

    public SweepSettings {
        eps = List.copyOf(eps);
        tStar = List.copyOf(tStar);
    }

    /** Whether the run has more than its base setting. */
    public boolean isEmpty() {
        return eps.isEmpty() && tStar.isEmpty();
    }
}
