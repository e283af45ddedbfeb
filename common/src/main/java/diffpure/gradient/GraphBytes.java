package diffpure.gradient;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.Classifier;
import diffpure.model.ProbeInputs;
import diffpure.model.ScoreModel;
import diffpure.torch.NativeHeap;
import diffpure.torch.PtAutograd;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Measures what one forward with a graph keeps for the backward pass, per image (the G of {@link
 * MemoryModel}): the C allocator's in-use bytes ({@link NativeHeap}) with the output and its graph
 * alive, minus the same before the call, at 1 and at 1 + {@link #EXTRA_ROWS} rows; the difference
 * divided by the extra rows removes what does not grow with the batch (the model's own buffers,
 * libtorch's per-call bookkeeping). Each size is run twice first (TorchScript's profiling executor
 * specialises on the second call) and then {@link #REPEATS} times, taking the median.
 *
 * <p>CPU only: it reads the host allocator. On a GPU the same tensors are kept in device memory, so
 * the CPU figure is what the memory model uses there too (workspaces of cuDNN are not in it).
 */
public final class GraphBytes {
    /** Rows of the second measurement beyond the first. */
    public static final int EXTRA_ROWS = 8;

    /** Measured calls per row count. */
    public static final int REPEATS = 7;

    private GraphBytes() {}

    /** Per-image graph bytes of a score model, at the middle of its trained time range. */
    public static long of(ScoreModel model, NDManager manager) {
        float t = (float) ((model.minTime() + model.maxTime()) / 2);
        return measure(
                manager,
                model.imageShape(),
                -1f,
                1f,
                x -> {
                    NDArray time = x.getManager().full(new Shape(x.getShape().get(0)), t);
                    return model.predictNoise(x, time);
                });
    }

    /** Per-image graph bytes of a classifier. */
    public static long of(Classifier model, NDManager manager) {
        return measure(manager, model.imageShape(), 0f, 1f, model::logits);
    }

    private static long measure(
            NDManager manager,
            Shape image,
            float low,
            float high,
            Function<NDArray, NDArray> forward) {
        if (!manager.getDevice().equals(Device.cpu())) {
            throw new IllegalArgumentException(
                    "graph bytes are measured on the CPU (the host allocator), the model is on "
                            + manager.getDevice());
        }
        int big = 1 + EXTRA_ROWS;
        for (int i = 0; i < 2; i++) {
            held(manager, image, 1, low, high, forward);
            held(manager, image, big, low, high, forward);
        }
        long[] one = new long[REPEATS];
        long[] more = new long[REPEATS];
        for (int i = 0; i < REPEATS; i++) {
            one[i] = held(manager, image, 1, low, high, forward);
            more[i] = held(manager, image, big, low, high, forward);
        }
        long perImage = (median(more) - median(one)) / EXTRA_ROWS;
        if (perImage <= 0) {
            throw new IllegalStateException(
                    "measured "
                            + perImage
                            + " graph bytes per image (1 row: "
                            + Arrays.toString(one)
                            + ", "
                            + big
                            + " rows: "
                            + Arrays.toString(more)
                            + "); another thread allocating meanwhile? Measure in a quiet process");
        }
        return perImage;
    }

    /** In-use bytes added by one forward of {@code rows} rows with its graph alive. */
    private static long held(
            NDManager manager,
            Shape image,
            int rows,
            float low,
            float high,
            Function<NDArray, NDArray> forward) {
        try (NDManager scope = manager.newSubManager()) {
            Shape shape = new Shape(rows).addAll(image);
            NDArray x = scope.create(ProbeInputs.uniform(7, (int) shape.size(), low, high), shape);
            NDArray leaf = PtAutograd.leaf(x);
            long before = NativeHeap.inUseBytes();
            try (PtAutograd.Mode grad = PtAutograd.enabled()) {
                NDArray out = forward.apply(leaf);
                long after = NativeHeap.inUseBytes();
                out.close();
                return after - before;
            }
        }
    }

    private static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
