package diffpure.attack;

/**
 * DiffHammer's expectation-maximisation weighting of one sample's N evaluated copies (Wang et al.,
 * NeurIPS 2024), given each copy's loss L_p and gradient g_p at its purified image. E-step
 * reference: q* = argmax_q sum_p ELU(L_p + eps &lt;u(g_q), g_p&gt;), u the norm's unit direction
 * (sign for Linf), the copy whose direction would raise the most losses. Weights: w_p =
 * sigmoid(lambda (L_p + &lt;u(g_q*), g_p&gt;)), high for copies already near success and sharing
 * q*'s direction; the upstream gradient is sum_p w_p g_p / sum_p w_p.
 *
 * <p>One step: the official code repeats the weighting step five times but never updates the
 * reference direction it weights against (its update is written to a variable nothing reads), so
 * its five steps give the same weights as one; this is that one step. Ties in q* go to the lowest
 * copy index. Pure host arithmetic in double precision.
 */
final class EmWeighting {
    /** The official weight sharpness lambda. */
    static final double LAMBDA = 5.0;

    private EmWeighting() {}

    /**
     * One sample's weighting.
     *
     * @param best q*, the reference copy (its noise keys are replayed for the step)
     * @param weights w_p, one per copy
     * @param upstream the weighted mean gradient, float32[d]
     */
    record Result(int best, double[] weights, float[] upstream) {
        /** The share of the weights' mass on the given copies. */
        double massOn(boolean[] which) {
            double on = 0;
            double all = 0;
            for (int p = 0; p < weights.length; p++) {
                all += weights[p];
                if (which[p]) {
                    on += weights[p];
                }
            }
            return on / all;
        }
    }

    /**
     * @param loss L_p, one per copy
     * @param grads g_p, N rows of d values (the copies' gradients at their purified images)
     * @param eps the ball's radius (scales the first-order gain in the E-step)
     * @param norm Linf (sign) or L2 (unit vector)
     */
    static Result weigh(float[] loss, float[][] grads, double eps, Norm norm) {
        int n = loss.length;
        if (grads.length != n || n == 0) {
            throw new IllegalArgumentException(n + " losses but " + grads.length + " gradients");
        }
        double[][] unit = new double[n][];
        for (int q = 0; q < n; q++) {
            unit[q] = unit(grads[q], norm);
        }
        int best = 0;
        double bestGain = Double.NEGATIVE_INFINITY;
        for (int q = 0; q < n; q++) {
            double gain = 0;
            for (int p = 0; p < n; p++) {
                gain += elu(loss[p] + eps * dot(unit[q], grads[p]));
            }
            if (gain > bestGain) {
                bestGain = gain;
                best = q;
            }
        }
        double[] w = new double[n];
        double total = 0;
        for (int p = 0; p < n; p++) {
            w[p] = sigmoid(LAMBDA * (loss[p] + dot(unit[best], grads[p])));
            total += w[p];
        }
        int d = grads[0].length;
        float[] up = new float[d];
        for (int i = 0; i < d; i++) {
            double s = 0;
            for (int p = 0; p < n; p++) {
                s += w[p] * grads[p][i];
            }
            // all weights underflowing to 0 leaves no direction: the plain mean instead
            up[i] = (float) (total > 0 ? s / total : mean(grads, i));
        }
        return new Result(best, w, up);
    }

    private static double mean(float[][] grads, int i) {
        double s = 0;
        for (float[] g : grads) {
            s += g[i];
        }
        return s / grads.length;
    }

    private static double[] unit(float[] g, Norm norm) {
        double[] u = new double[g.length];
        if (norm == Norm.L2) {
            double s = 0;
            for (float v : g) {
                s += (double) v * v;
            }
            double len = Math.sqrt(s) + 1e-12;
            for (int i = 0; i < g.length; i++) {
                u[i] = g[i] / len;
            }
        } else {
            for (int i = 0; i < g.length; i++) {
                u[i] = Math.signum(g[i]);
            }
        }
        return u;
    }

    private static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double elu(double v) {
        return v > 0 ? v : Math.expm1(v);
    }

    private static double sigmoid(double v) {
        return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    }
}
