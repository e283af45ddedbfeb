package diffpure.attack;

import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import org.apache.commons.math3.special.Erf;

/**
 * The attacks' randomness: host draws that are pure functions of (run seed, sample id, purpose,
 * draw, stream), so a sample's random start or Square proposal does not depend on the batch it runs
 * in.
 */
final class AttackNoise {
    private static final double SQRT2 = Math.sqrt(2.0);

    private AttackNoise() {}

    /** n standard normals. */
    static float[] normals(
            AttackContext ctx, long sampleId, Purpose purpose, long localDraw, int stream, int n) {
        float[] out = new float[n];
        NoiseKey key = new NoiseKey(ctx.runSeed(), sampleId, purpose, ctx.draw(localDraw), 0);
        GaussianNoise.fill(key, stream, out, 0, n);
        return out;
    }

    /** n uniforms in [0, 1), as Phi(z) of standard normals (exactly uniform in distribution). */
    static double[] uniforms(
            AttackContext ctx, long sampleId, Purpose purpose, long localDraw, int stream, int n) {
        float[] z = normals(ctx, sampleId, purpose, localDraw, stream, n);
        double[] u = new double[n];
        for (int i = 0; i < n; i++) {
            u[i] = Math.min(0.5 * Erf.erfc(-z[i] / SQRT2), Math.nextDown(1.0));
        }
        return u;
    }

    /** n random signs +-1. */
    static float[] signs(
            AttackContext ctx, long sampleId, Purpose purpose, long localDraw, int stream, int n) {
        float[] z = normals(ctx, sampleId, purpose, localDraw, stream, n);
        for (int i = 0; i < n; i++) {
            z[i] = z[i] >= 0 ? 1f : -1f;
        }
        return z;
    }

    /** floor(u (high - low)) + low for a uniform u: an integer in [low, max(low, high - 1)]. */
    static int randomInt(double u, int low, int high) {
        return low + (int) Math.floor(u * (high - low));
    }
}
