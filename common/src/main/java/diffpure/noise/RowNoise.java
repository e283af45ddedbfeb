package diffpure.noise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.torch.HostTensors;
import java.util.List;

/**
 * The noise keys of the rows of a batch, one per row, and the tensors drawn from them. Because
 * every row has its own key, splitting a batch into micro-batches or moving a row to another batch
 * never changes its noise.
 */
public final class RowNoise implements NoiseSource {
    private final List<NoiseKey> keys;

    public RowNoise(List<NoiseKey> keys) {
        this.keys = List.copyOf(keys);
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
        return new RowNoise(keys.subList(from, to));
    }

    @Override
    public NDArray draw(NDManager manager, long step, Shape imageShape) {
        int per = (int) imageShape.size();
        float[] data = new float[per * keys.size()];
        for (int r = 0; r < keys.size(); r++) {
            GaussianNoise.fill(keys.get(r), step, data, r * per, per);
        }
        long[] dims = new long[imageShape.dimension() + 1];
        dims[0] = keys.size();
        System.arraycopy(imageShape.getShape(), 0, dims, 1, imageShape.dimension());
        return HostTensors.create(manager, data, new Shape(dims));
    }
}
