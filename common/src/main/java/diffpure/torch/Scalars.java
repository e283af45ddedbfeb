package diffpure.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Arithmetic with a constant that is safe inside an autograd graph. DJL's {@code x.mul(Number)}
 * (and add, sub, div, pow, maximum, ...) wraps the constant in a 0-dim tensor that aliases a Java
 * direct buffer and closes it right after the op. libtorch's MulBackward and DivBackward save that
 * tensor for the backward pass, but it does not own the memory: once the garbage collector frees
 * the buffer, backward reads freed memory (measured: a GC between forward and backward made every
 * backprop gradient exactly zero). The constants here are made by libtorch ({@code full}), so a
 * graph that saves one keeps it alive. The constant has x's dtype: for float32 x the op computes
 * with (float) c, as DJL's does, so results are bit for bit those of {@code x.mul(Number)}.
 *
 * <p>Use these for every op with a constant on a tensor that may require a gradient; outside
 * autograd DJL's own methods are fine.
 */
public final class Scalars {
    private Scalars() {}

    /** x * c. */
    public static NDArray mul(NDArray x, double c) {
        try (NDArray s = of(x, c)) {
            return x.mul(s);
        }
    }

    /** x / c. */
    public static NDArray div(NDArray x, double c) {
        try (NDArray s = of(x, c)) {
            return x.div(s);
        }
    }

    /** x + c. */
    public static NDArray add(NDArray x, double c) {
        try (NDArray s = of(x, c)) {
            return x.add(s);
        }
    }

    /** x - c. */
    public static NDArray sub(NDArray x, double c) {
        try (NDArray s = of(x, c)) {
            return x.sub(s);
        }
    }

    /** c as a libtorch-owned 0-dim tensor of x's dtype, on x's manager and device. */
    private static NDArray of(NDArray x, double c) {
        return JniUtils.full(
                (PtNDManager) x.getManager(),
                new Shape(),
                c,
                x.getDataType(),
                x.getDevice(),
                SparseFormat.DENSE);
    }
}
