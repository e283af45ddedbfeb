package diffpure.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.torch.HostTensors;

/**
 * Samples stacked for a model: images float32[B, C, H, W], labels int32[B], and their ids (for
 * noise keys and result rows).
 */
public record Batch(NDArray images, NDArray labels, long[] ids) {
    /** Stacks the samples at the given dataset positions, on the manager's device. */
    public static Batch of(NDManager manager, ImageDataset data, int from, int count) {
        long[] s = data.imageShape();
        int per = (int) (s[0] * s[1] * s[2]);
        float[] pixels = new float[count * per];
        int[] labels = new int[count];
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
            Sample sample = data.get(from + i);
            System.arraycopy(sample.image(), 0, pixels, i * per, per);
            labels[i] = sample.label();
            ids[i] = sample.id();
        }
        return new Batch(
                HostTensors.create(manager, pixels, new Shape(count, s[0], s[1], s[2])),
                HostTensors.create(manager, labels),
                ids);
    }

    /** Number of samples. */
    public int size() {
        return ids.length;
    }
}
