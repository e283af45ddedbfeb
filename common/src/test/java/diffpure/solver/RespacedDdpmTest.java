package diffpure.solver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import diffpure.sde.ChainStep;
import diffpure.sde.CoarseChain;
import diffpure.sde.ReverseChain;
import diffpure.sde.VpSchedule;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DiffHammer's official defence: 100 discrete steps respaced to 10 (stride 10), grafted over 5
 * (stride 20). The respaced chain's steps are the official code's coefficients, and coarsening it
 * to 5 steps gives the same chain as respacing the 100 steps to 5 directly.
 */
class RespacedDdpmTest {
    private static final VpSchedule S = VpSchedule.DEFAULT;

    @Test
    void tenStepsOfStrideTenAreTheOfficialCoefficients() {
        ReverseChain r = DdpmAncestral.respaced(S, 100, 10);
        assertEquals(10, r.length());
        double[] bar = new double[100];
        double log = 0;
        for (int i = 0; i < 100; i++) {
            log += Math.log1p(-S.discreteBeta(i));
            bar[i] = Math.exp(log);
        }
        assertEquals(bar[99], r.alphaBarStar(), 1e-15);
        for (int k = 0; k < 10; k++) {
            // the official step from index i = 99 - 10k to j = i - 10 (-1: alpha-bar 1), eta = 1
            int i = 99 - 10 * k;
            double at = bar[i];
            double next = i - 10 < 0 ? 1 : bar[i - 10];
            double cEps = Math.sqrt((1 - at / next) * (1 - next) / (1 - at));
            double cX = Math.sqrt(next / at);
            double cE = Math.sqrt(1 - next - cEps * cEps) - cX * Math.sqrt(1 - at);
            ChainStep s = r.step(k);
            assertEquals(cX, s.stateScale(), 1e-12, "step " + k);
            assertEquals(cE, s.epsScale(), 1e-12, "step " + k);
            assertEquals(cEps, s.noiseScale(), 1e-12, "step " + k);
            assertEquals((i + 0.5) / 1000, s.modelTime(), 1e-15);
        }
    }

    @Test
    void coarsenedToFiveItIsTheHundredStepsRespacedToFive() {
        CoarseChain graft = DdpmAncestral.respaced(S, 100, 10).coarsened(5);
        List<ChainStep> direct = DdpmAncestral.respaced(S, 100, 5).steps();
        assertEquals(direct, graft.chain().steps());
        assertArrayEquals(new int[] {0, 2, 4, 6, 8, 10}, graft.starts());
        double[] w = graft.weights();
        for (int k = 0; k < 4; k++) {
            // each coarse draw a unit-variance sum of the two respaced draws it spans
            assertEquals(1, w[2 * k] * w[2 * k] + w[2 * k + 1] * w[2 * k + 1], 1e-12, "span " + k);
        }
        // the last span's second step adds no noise
        assertEquals(1, w[8], 1e-12);
        assertEquals(0, w[9]);
        assertEquals(10, DdpmAncestral.respaced(S, 100, 10).coarsened(10).length());
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> DdpmAncestral.respaced(S, 100, 101));
        assertEquals(
                "purify.ddpm-respaced-steps must be in [1, 100] (purify.ddpm-steps), found 101",
                e.getMessage());
    }
}
