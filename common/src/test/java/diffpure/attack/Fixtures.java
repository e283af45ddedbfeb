package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.UndefendedModel;
import diffpure.model.Classifier;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.torch.PtAutograd;
import org.apache.commons.math3.special.Erf;

/** Small deterministic batches and models for attack tests. */
final class Fixtures {
    private Fixtures() {}

    /** n images of the given shape, uniform in [0.1, 0.9], from the project's generator. */
    static NDArray images(NDManager m, int n, Shape shape, long seed) {
        int per = (int) shape.size();
        float[] data = new float[n * per];
        GaussianNoise.fill(new NoiseKey(seed, 0, Purpose.TEST, 0, 0), 0, data, 0, data.length);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (0.1 + 0.8 * 0.5 * Erf.erfc(-data[i] / Math.sqrt(2)));
        }
        return m.create(data, new Shape(n).addAll(shape));
    }

    /**
     * The classifier's own predictions as labels (every clean image is then classified correctly).
     */
    static NDArray predictedLabels(Classifier c, NDArray x) {
        try (PtAutograd.Mode off = PtAutograd.disabled()) {
            return c.logits(x).argMax(1);
        }
    }

    static long[] ids(int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 1000 + i;
        }
        return ids;
    }

    static UndefendedModel linear(NDManager m, int classes) {
        return new UndefendedModel(new LinearClassifier(m, new Shape(1, 8, 8), classes, 7));
    }

    /** Fraction of rows whose (single) prediction equals the label. */
    static double accuracy(UndefendedModel model, NDArray x, NDArray labels) {
        try (PtAutograd.Mode off = PtAutograd.disabled()) {
            long[] p = model.classifier().logits(x).argMax(1).toLongArray();
            long[] l = labels.toLongArray();
            int ok = 0;
            for (int i = 0; i < p.length; i++) {
                ok += p[i] == l[i] ? 1 : 0;
            }
            return ok / (double) p.length;
        }
    }
}
