package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.noise.NoiseSource;
import diffpure.purify.ChainRunner;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.CoarseChain;
import diffpure.torch.PtAutograd;
import java.util.Arrays;
import java.util.Locale;

/**
 * DiffHammer's gradient grafting (Wang et al., NeurIPS 2024): a surrogate backward pass with a
 * given upstream gradient. The purification of one draw is replayed from its noise keys and a
 * gradient dL/dx' at the purified image, computed elsewhere (DiffHammer's weighted mean of BPDA
 * gradients), is carried back to the input through one vector-Jacobian product per step of a coarse
 * grid ({@link diffpure.sde.ReverseChain#coarsened}) and the forward diffusion.
 *
 * <p>Where the Jacobians are taken ({@link States}): by default at the coarse chain's own states,
 * the chain driven by the draw's summed Brownian increments ({@link CoarseNoise}), so the result is
 * the exact input gradient of that coarse chain (and with as many steps as the defence, of the
 * defence's draw itself). The official code instead takes the coarse steps' Jacobians at the fine
 * (defence) chain's states at the coarse grid's times, mixing two chains (DiffBreak, Kassis et al.,
 * points this out); {@link States#AUTHORS} reproduces that for comparison with the published
 * figures. Both agree when the grid is the defence's own.
 */
public final class GradientGrafting {
    /** Where the coarse steps' Jacobians are taken (attack.grafting). */
    public enum States {
        /** The coarse chain's own states (the exact gradient of the coarse chain). */
        COARSE,
        /** The defence chain's states at the coarse grid's times (the official code). */
        AUTHORS;

        /**
         * Parses coarse or authors.
         *
         * @throws IllegalArgumentException naming attack.grafting
         */
        public static States parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "attack.grafting must be coarse or authors, found '" + name + "'", e);
            }
        }
    }

    private final int steps;
    private final States states;

    /**
     * @param steps the coarse grid's steps, 1 .. the defence's; 0 for the defence's own grid
     * @throws IllegalArgumentException naming attack.surrogate-steps when steps &lt; 0
     */
    public GradientGrafting(int steps, States states) {
        if (steps < 0) {
            throw new IllegalArgumentException(
                    "attack.surrogate-steps must be >= 0 for grafting, found " + steps);
        }
        this.steps = steps;
        this.states = states;
    }

    /**
     * The grafting a defended model's gradient mode implies: surrogate's grid, else the defence's.
     */
    public static GradientGrafting of(GradientMode mode, States states) {
        if (mode instanceof SurrogateGradient s) {
            if (s.noise() != SurrogateGradient.Noise.SUMMED) {
                throw new IllegalArgumentException(
                        "grafting replays the evaluated draw, so attack.surrogate-noise must be"
                                + " summed, found independent");
            }
            return new GradientGrafting(s.steps(), states);
        }
        return new GradientGrafting(0, states);
    }

    public States states() {
        return states;
    }

    /** The coarse grid's steps for a defence. */
    public int stepsFor(DiffusionPurifier defence) {
        return steps == 0 ? defence.chain().length() : steps;
    }

    /** The coarse chain on which the gradient is grafted. */
    public CoarseChain coarseFor(DiffusionPurifier defence) {
        return defence.chain().coarsened(stepsFor(defence));
    }

    /**
     * Model calls per grafted row, in words: M (F + V) at the coarse states, N_d F + M (F + V) at
     * the defence's states (its replay runs the whole defence chain).
     */
    public String cost(DiffusionPurifier defence) {
        int m = modelSteps(coarseFor(defence).chain().steps());
        int nd = modelSteps(defence.chain().steps());
        return states == States.COARSE
                ? String.format(Locale.ROOT, "grafting per row: %d x (F + V)", m)
                : String.format(Locale.ROOT, "grafting per row: %d x F + %d x (F + V)", nd, m);
    }

    /** Model forwards and backwards one grafted row costs: {forwards, backwards}. */
    public long[] modelCalls(DiffusionPurifier defence) {
        int m = modelSteps(coarseFor(defence).chain().steps());
        int nd = modelSteps(defence.chain().steps());
        return states == States.COARSE ? new long[] {2L * m, m} : new long[] {nd + 2L * m, m};
    }

    private static int modelSteps(java.util.List<diffpure.sde.ChainStep> steps) {
        return (int) steps.stream().filter(s -> s.usesModel()).count();
    }

    /**
     * dL/dx for each row: the draw of {@code noise} (one key per row) replayed from x, and {@code
     * upstream}, dL/dx' at the purified image, carried back through the coarse grid.
     *
     * @param x float32[R, C, H, W] in [0, 1]
     * @param upstream float32[R, C, H, W], the gradient at the purified image
     * @return float32[R, C, H, W], attached to x's manager
     */
    public NDArray inputGradient(
            DiffusionPurifier defence, NDArray x, NoiseSource noise, NDArray upstream) {
        CoarseChain coarse = coarseFor(defence);
        DiffusionPurifier graft = defence.withChain(coarse.chain());
        int m = coarse.length();
        try (NDManager scope = NDManager.subManagerOf(x);
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            scope.tempAttachAll(x, upstream);
            StateStore kept;
            if (states == States.COARSE) {
                NoiseSource summed = new CoarseNoise(noise, coarse);
                kept = StateStore.allocatedAtStart(scope, m, j -> j < m ? j : -1);
                ChainRunner.over(graft, summed)
                        .observedBy(kept)
                        .run(0, m, graft.diffuse(x, summed))
                        .close();
            } else {
                int n = defence.chain().length();
                int[] rowOf = new int[n + 1];
                Arrays.fill(rowOf, -1);
                for (int k = 0; k < m; k++) {
                    rowOf[coarse.start(k)] = k;
                }
                kept = StateStore.allocatedAtStart(scope, m, j -> rowOf[j]);
                ChainRunner.over(defence, noise)
                        .observedBy(kept)
                        .run(0, n, defence.diffuse(x, noise))
                        .close();
            }
            NDArray a = graft.outputVjp(upstream);
            for (int k = m - 1; k >= 0; k--) {
                NDArray yk = kept.row(k);
                NDArray prev = graft.stepVjp(k, yk, a);
                yk.close();
                a.close();
                a = prev;
            }
            NDArray g = graft.inputVjp(a);
            return scope.ret(g);
        }
    }
}
