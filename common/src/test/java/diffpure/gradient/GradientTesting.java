package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;

/** Shared helpers: seeded inputs and directions, comparisons in double precision. */
final class GradientTesting {
    private GradientTesting() {}

    /** Seeded images in [0.1, 0.9]. */
    static NDArray images(NDManager m, int count, Shape img, long seed) {
        float[] v = new float[(int) (count * img.size())];
        GaussianNoise.fill(new NoiseKey(seed, 0, Purpose.TEST, 1, 0), 0, v, 0, v.length);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (0.5 + 0.4 * Math.tanh(v[i]));
        }
        return m.create(v, new Shape(count).addAll(img));
    }

    /** A seeded direction of unit L2 norm over the whole batch. */
    static NDArray direction(NDManager m, Shape shape, long seed) {
        float[] v = new float[(int) shape.size()];
        GaussianNoise.fill(new NoiseKey(seed, 1, Purpose.TEST, 2, 0), 0, v, 0, v.length);
        double n = 0;
        for (float f : v) {
            n += f * f;
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(n);
        }
        return m.create(v, shape);
    }

    static double dot(NDArray a, NDArray b) {
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (double) x[i] * y[i];
        }
        return s;
    }

    static double sum(NDArray a) {
        double s = 0;
        for (float f : a.toFloatArray()) {
            s += f;
        }
        return s;
    }

    static double cosine(NDArray a, NDArray b) {
        return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
    }

    /** max |a - b| / max |b|. */
    static double maxRelativeDifference(NDArray a, NDArray b) {
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < x.length; i++) {
            diff = Math.max(diff, Math.abs(x[i] - y[i]));
            scale = Math.max(scale, Math.abs(y[i]));
        }
        return diff / scale;
    }

    /** ||a - b|| / ||b||. */
    static double relativeError(NDArray a, NDArray b) {
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        double d = 0;
        double n = 0;
        for (int i = 0; i < x.length; i++) {
            d += Math.pow(x[i] - y[i], 2);
            n += Math.pow(y[i], 2);
        }
        return Math.sqrt(d / n);
    }
}
