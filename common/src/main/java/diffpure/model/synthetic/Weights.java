package diffpure.model.synthetic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;

/** Seeded Gaussian weight tensors from the project's counter-based generator. */
final class Weights {
    private Weights() {}

    static NDArray gaussian(NDManager manager, long seed, int index, double scale, Shape shape) {
        float[] data = new float[(int) shape.size()];
        GaussianNoise.fill(new NoiseKey(seed, index, Purpose.TEST, 0, 0), 0, data, 0, data.length);
        for (int i = 0; i < data.length; i++) {
            data[i] *= (float) scale;
        }
        return manager.create(data, shape);
    }
}
