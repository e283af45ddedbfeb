package diffpure.sde;

import java.util.Arrays;

/**
 * A reverse chain rebuilt on a coarser grid of another chain's own points: coarse step k spans the
 * fine steps [start(k), start(k + 1)) over the same time interval, and draws its standard normal as
 * sum_j weight(j) z_j over the fine draws z_j it spans (the weights of one span have unit sum of
 * squares, so the sum is standard normal). For Euler-Maruyama weight(j) = sqrt(h_j / H_k): the
 * coarse step's Brownian increment is the sum of the fine steps' increments. Immutable.
 *
 * @param chain the coarse chain
 * @param starts the first fine step of each coarse step, then the fine chain's length (length steps
 *     + 1, strictly increasing from 0)
 * @param weights per fine step, the weight of its draw in its coarse step's draw
 */
public record CoarseChain(ReverseChain chain, int[] starts, double[] weights) {
    public CoarseChain {
        if (starts.length != chain.length() + 1 || starts[0] != 0) {
            throw new IllegalArgumentException(
                    "a coarse chain of "
                            + chain.length()
                            + " steps needs "
                            + (chain.length() + 1)
                            + " span starts from 0, found "
                            + Arrays.toString(starts));
        }
        for (int k = 0; k + 1 < starts.length; k++) {
            if (starts[k + 1] <= starts[k]) {
                throw new IllegalArgumentException(
                        "coarse span starts must increase, found " + Arrays.toString(starts));
            }
        }
        if (weights.length != starts[starts.length - 1]) {
            throw new IllegalArgumentException(
                    weights.length + " noise weights for " + starts[starts.length - 1] + " steps");
        }
        starts = starts.clone();
        weights = weights.clone();
    }

    /**
     * The span starts that cut n fine steps into m coarse ones as evenly as the grid allows:
     * round(k n / m).
     *
     * @throws IllegalArgumentException naming attack.surrogate-steps unless 1 &lt;= m &lt;= n
     */
    public static int[] evenStarts(int n, int m) {
        if (m < 1 || m > n) {
            throw new IllegalArgumentException(
                    "attack.surrogate-steps must be in [1, "
                            + n
                            + "] (the defence chain's steps), found "
                            + m);
        }
        int[] s = new int[m + 1];
        for (int k = 0; k <= m; k++) {
            s[k] = (int) Math.round((double) k * n / m);
        }
        return s;
    }

    /** Number of coarse steps. */
    public int length() {
        return chain.length();
    }

    /** The first fine step of coarse step k (k = length(): the fine chain's length). */
    public int start(int k) {
        return starts[k];
    }

    /** The weight of fine step j's draw in the draw of the coarse step that spans it. */
    public double weight(int j) {
        return weights[j];
    }

    @Override
    public int[] starts() {
        return starts.clone();
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CoarseChain c
                && chain.equals(c.chain)
                && Arrays.equals(starts, c.starts)
                && Arrays.equals(weights, c.weights);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * chain.hashCode() + Arrays.hashCode(starts)) + Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        return "CoarseChain[" + chain.name() + ", starts " + Arrays.toString(starts) + "]";
    }
}
