package diffpure.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.torch.HostTensors;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples stacked for a model: images float32[B, C, H, W], labels int64[B], and their ids (for
 * noise keys and result rows).
 */
public record Batch(NDArray images, NDArray labels, long[] ids) {
    /** Stacks the samples at the given dataset positions, on the manager's device. */
    public static Batch of(NDManager manager, ImageDataset data, int from, int count) {
        List<Sample> samples = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            samples.add(data.get(from + i));
        }
        return of(manager, samples, new Shape(data.imageShape()));
    }

    /**
     * Stacks samples of one image shape, in their order, on the manager's device.
     *
     * @throws IllegalArgumentException naming the sample whose pixel count is not the shape's
     */
    public static Batch of(NDManager manager, List<Sample> samples, Shape imageShape) {
        int per = (int) imageShape.size();
        int b = samples.size();
        float[] pixels = new float[b * per];
        long[] labels = new long[b];
        long[] ids = new long[b];
        for (int i = 0; i < b; i++) {
            Sample s = samples.get(i);
            if (s.image().length != per) {
                throw new IllegalArgumentException(
                        "sample "
                                + s.id()
                                + " has "
                                + s.image().length
                                + " pixels, its batch is of "
                                + imageShape
                                + " images");
            }
            System.arraycopy(s.image(), 0, pixels, i * per, per);
            labels[i] = s.label();
            ids[i] = s.id();
        }
        return new Batch(
                HostTensors.create(manager, pixels, new Shape(b).addAll(imageShape)),
                HostTensors.create(manager, labels),
                ids);
    }

    /** Number of samples. */
    public int size() {
        return ids.length;
    }
}
