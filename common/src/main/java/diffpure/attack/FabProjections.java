package diffpure.attack;

import java.util.Arrays;

/**
 * FAB's subproblem: the smallest step d (in Linf or L2) that moves a point t onto the hyperplane
 * w.z = b while t + d stays in the box [0, 1]; when the box cannot reach the hyperplane, the step
 * that goes as far towards it as the box allows. The closed forms sort the coordinates by the step
 * size at which they hit the box, as AutoAttack's fab_projections do with a bisection.
 */
final class FabProjections {
    private FabProjections() {}

    static double[] project(
            Norm norm, float[] t, int offset, float[] w, int wOffset, double b, int n) {
        return norm == Norm.LINF
                ? linf(t, offset, w, wOffset, b, n)
                : l2(t, offset, w, wOffset, b, n);
    }

    /**
     * Minimal-Linf step: every active coordinate moves by lambda, or to the box if that is nearer.
     */
    static double[] linf(float[] t, int to, float[] w, int wo, double b, int n) {
        double c = -b;
        for (int i = 0; i < n; i++) {
            c += (double) w[wo + i] * t[to + i];
        }
        double sg = c >= 0 ? 1 : -1;
        double need = c * sg;
        double[] room = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            double wi = sg * w[wo + i];
            room[i] = wi < 0 ? 1 - t[to + i] : t[to + i];
            total += Math.abs(wi) * room[i];
        }
        double[] d = new double[n];
        if (!(need < total)) {
            for (int i = 0; i < n; i++) {
                double wi = sg * w[wo + i];
                d[i] = wi == 0 ? 0 : wi < 0 ? 1 - t[to + i] : -t[to + i];
            }
            return d;
        }
        Integer[] order = nonZero(w, wo, n, 0);
        Arrays.sort(order, (p, q) -> Double.compare(room[p], room[q]));
        double saturated = 0;
        double weight = 0;
        for (int i : order) {
            weight += Math.abs(w[wo + i]);
        }
        double lambda = 0;
        for (int i : order) {
            if (saturated + weight * room[i] >= need) {
                lambda = (need - saturated) / weight;
                break;
            }
            saturated += Math.abs(w[wo + i]) * room[i];
            weight -= Math.abs(w[wo + i]);
        }
        for (int i : order) {
            double wi = sg * w[wo + i];
            d[i] = -Math.signum(wi) * Math.min(lambda, room[i]);
        }
        return d;
    }

    /** Minimal-L2 step: d = -mu w, each coordinate capped at the box. */
    static double[] l2(float[] t, int to, float[] w, int wo, double b, int n) {
        double c = -b;
        for (int i = 0; i < n; i++) {
            c += (double) w[wo + i] * t[to + i];
        }
        double sg = c >= 0 ? 1 : -1;
        double need = c * sg;
        Integer[] order = nonZero(w, wo, n, 1e-8);
        double[] room = new double[n];
        double[] r = new double[n];
        double total = 0;
        for (int i : order) {
            double wi = sg * w[wo + i];
            room[i] = wi < 0 ? 1 - t[to + i] : t[to + i];
            r[i] = room[i] / Math.abs(wi);
            total += room[i] * Math.abs(wi);
        }
        double[] d = new double[n];
        if (need > total) {
            for (int i : order) {
                d[i] = -Math.signum(sg * w[wo + i]) * room[i];
            }
            return d;
        }
        Arrays.sort(order, (p, q) -> Double.compare(r[p], r[q]));
        double saturated = 0;
        double sq = 0;
        for (int i : order) {
            sq += (double) w[wo + i] * w[wo + i];
        }
        double mu = 0;
        for (int i : order) {
            if (saturated + sq * r[i] >= need) {
                mu = (need - saturated) / sq;
                break;
            }
            saturated += room[i] * Math.abs(w[wo + i]);
            sq -= (double) w[wo + i] * w[wo + i];
        }
        for (int i : order) {
            double wi = sg * w[wo + i];
            d[i] = r[i] < mu ? -Math.signum(wi) * room[i] : -mu * wi;
        }
        return d;
    }

    private static Integer[] nonZero(float[] w, int wo, int n, double threshold) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (Math.abs(w[wo + i]) > threshold) {
                count++;
            }
        }
        Integer[] idx = new Integer[count];
        int j = 0;
        for (int i = 0; i < n; i++) {
            if (Math.abs(w[wo + i]) > threshold) {
                idx[j++] = i;
            }
        }
        return idx;
    }
}
