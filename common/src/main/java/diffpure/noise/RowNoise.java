package diffpure.noise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.torch.HostTensors;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The noise keys of the rows of a batch, one per row, and the tensors drawn from them. Because
 * every row has its own key, splitting a batch into micro-batches or moving a row to another batch
 * never changes its noise.
 *
 * <p>With background {@link NoiseWorkers}, each draw starts the next one: the step after it in the
 * direction the chain is travelling (forward sweeps count up from -1, the adjoint's backward sweep
 * counts down), so the host computes step k+1's normals while the model runs step k. A draw that
 * was not foreseen is computed on the spot; either way the values are the same. One instance serves
 * one chain at a time (a micro-batch's {@link #slice} is its own instance).
 */
public final class RowNoise implements NoiseSource {
    private static final long NONE = Long.MIN_VALUE;

    private final List<NoiseKey> keys;
    private final NoiseWorkers workers;
    private long lastStep = NONE;
    private long aheadStep = NONE;
    private long aheadPerRow;
    private CompletableFuture<float[]> ahead;

    /** Rows whose draws are computed on the calling thread. */
    public RowNoise(List<NoiseKey> keys) {
        this(keys, NoiseWorkers.inline());
    }

    /** Rows whose next draw is computed ahead by {@code workers}. */
    public RowNoise(List<NoiseKey> keys, NoiseWorkers workers) {
        this.keys = List.copyOf(keys);
        this.workers = workers;
    }

    @Override
    public int rows() {
        return keys.size();
    }

    /** The key of row r. */
    public NoiseKey key(int r) {
        return keys.get(r);
    }

    @Override
    public RowNoise slice(int from, int to) {
        return new RowNoise(keys.subList(from, to), workers);
    }

    @Override
    public NDArray draw(NDManager manager, long step, Shape imageShape) {
        long start = System.nanoTime();
        int perRow = Math.toIntExact(imageShape.size());
        float[] data = take(step, perRow);
        if (workers.prefetches()) {
            long next = lastStep == NONE || step >= lastStep ? step + 1 : step - 1;
            if (next >= -1) {
                aheadStep = next;
                aheadPerRow = perRow;
                ahead = workers.submit(keys, next, perRow);
            }
        }
        lastStep = step;
        long[] dims = new long[imageShape.dimension() + 1];
        dims[0] = keys.size();
        System.arraycopy(imageShape.getShape(), 0, dims, 1, imageShape.dimension());
        NDArray z = HostTensors.create(manager, data, new Shape(dims));
        NoiseStats.record(System.nanoTime() - start, (long) perRow * keys.size());
        return z;
    }

    /** The normals of a step: the prefetched ones when they were foreseen, else computed now. */
    private float[] take(long step, int perRow) {
        CompletableFuture<float[]> pending = ahead;
        ahead = null;
        if (pending != null) {
            if (aheadStep == step && aheadPerRow == perRow) {
                return pending.join();
            }
            pending.cancel(false);
        }
        float[] data = new float[perRow * keys.size()];
        NoiseWorkers.fillRows(keys, step, perRow, data, 0, keys.size());
        return data;
    }
}
