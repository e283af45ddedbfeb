package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import diffpure.torch.HostTensors;

/** Small tensor helpers shared by the attacks. Results attach to the first argument's manager. */
final class Tensors {
    private Tensors() {}

    /** v float[B] reshaped to [B, 1, ..., 1] so that it broadcasts against like [B, ...]. */
    static NDArray perRow(NDArray v, NDArray like) {
        long[] dims = new long[like.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = like.getShape().get(0);
        return v.reshape(new Shape(dims));
    }

    /** Host float[B] as a [B, 1, ..., 1] tensor on like's manager. */
    static NDArray perRow(float[] v, NDArray like, NDManager manager) {
        return perRow(HostTensors.create(manager, v), like);
    }

    /** Rows where mask is true from a, the others from b; mask is host boolean[B]. */
    static NDArray select(boolean[] mask, NDArray a, NDArray b, NDManager manager) {
        // libtorch's where broadcasts, DJL's wrapper does not: expand the mask explicitly.
        NDArray m = perRow(HostTensors.create(manager, mask), a).broadcast(a.getShape());
        return NDArrays.where(m, a, b);
    }

    /** The rows idx of x, in that order. */
    static NDArray rows(NDArray x, int[] idx, NDManager manager) {
        long[] l = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            l[i] = idx[i];
        }
        return x.get(new NDIndex("{}", HostTensors.create(manager, l)));
    }

    /** Host copy of a float tensor. */
    static float[] host(NDArray a) {
        return a.getDataType() == DataType.FLOAT32
                ? a.toFloatArray()
                : a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** Host copy of an integer tensor. */
    static long[] hostLong(NDArray a) {
        return a.toType(DataType.INT64, false).toLongArray();
    }

    /** Labels of a subset of rows as int64. */
    static long[] select(long[] v, int[] idx) {
        long[] out = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = v[idx[i]];
        }
        return out;
    }

    static int[] indicesOf(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        int[] idx = new int[n];
        int j = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                idx[j++] = i;
            }
        }
        return idx;
    }

    static int[] all(int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        return idx;
    }
}
