package diffpure.purify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.torch.HostTensors;

/**
 * PyTorch's {@code F.interpolate(x, size=(H', W'), mode='bilinear', align_corners=False)} (no
 * antialiasing), the resize DiffPure's reference applies around purification for ImageNet
 * (eval_sde_adv.py: 224 to 256 before, 256 to 224 after). It is linear and separable, so it is
 * computed as two matrix products, out = R_h x R_w^T, which autograd differentiates like any other
 * op, and whose transpose {@link #transpose} is the exact vector-Jacobian product.
 *
 * <p>Per output index o along an axis of input size n and output size m: source s = max(0, (o +
 * 0.5) n / m - 0.5), i = floor(s), weights 1 - (s - i) on i and s - i on min(i + 1, n - 1).
 */
public final class BilinearResize {
    private final Shape from;
    private final Shape to;
    private final float[] rows; // [outH, inH]
    private final float[] colsT; // [inW, outW]

    private BilinearResize(Shape from, Shape to) {
        this.from = from;
        this.to = to;
        this.rows = weights((int) from.get(1), (int) to.get(1));
        this.colsT = transposed(weights((int) from.get(2), (int) to.get(2)), (int) to.get(2));
    }

    /**
     * The resize from one per-image shape [C, H, W] to another with the same channel count.
     *
     * @throws IllegalArgumentException when the channel counts differ
     */
    public static BilinearResize of(Shape from, Shape to) {
        if (from.dimension() != 3 || to.dimension() != 3 || from.get(0) != to.get(0)) {
            throw new IllegalArgumentException(
                    "a bilinear resize maps [C, H, W] to [C, H', W'] with the same C, found "
                            + from
                            + " and "
                            + to);
        }
        return new BilinearResize(from, to);
    }

    /**
     * Interpolation weights as a row-major [out, in] matrix, rounded as PyTorch's kernel rounds
     * them for float tensors: the scale in float, the source index in double, the weights in float
     * (checked weight for weight against torch 1.13 for 224 to 256, 256 to 224 and odd sizes).
     */
    static float[] weights(int in, int out) {
        float[] w = new float[out * in];
        double scale = (float) in / out;
        for (int o = 0; o < out; o++) {
            double src = Math.max(0, scale * (o + 0.5) - 0.5);
            int i0 = Math.min((int) src, in - 1);
            int i1 = i0 < in - 1 ? i0 + 1 : i0;
            float l1 = (float) (src - i0);
            w[o * in + i0] += 1f - l1;
            w[o * in + i1] += l1;
        }
        return w;
    }

    private static float[] transposed(float[] m, int rowsOfM) {
        int cols = m.length / rowsOfM;
        float[] t = new float[m.length];
        for (int r = 0; r < rowsOfM; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rowsOfM + r] = m[r * cols + c];
            }
        }
        return t;
    }

    /** The per-image input shape. */
    public Shape from() {
        return from;
    }

    /** The per-image output shape. */
    public Shape to() {
        return to;
    }

    /**
     * Resizes a batch [N, C, H, W] to [N, C, H', W']; differentiable under the thread's grad mode.
     * The result attaches to x's manager.
     */
    public NDArray apply(NDArray x) {
        return product(x, rows, to.get(1), from.get(1), colsT, from.get(2), to.get(2));
    }

    /**
     * The transpose (adjoint) of {@link #apply}: maps a [N, C, H', W'] cotangent to [N, C, H, W],
     * the vector-Jacobian product of the resize.
     */
    public NDArray transpose(NDArray a) {
        float[] rowsT = transposed(rows, (int) to.get(1));
        float[] cols = transposed(colsT, (int) from.get(2));
        return product(a, rowsT, from.get(1), to.get(1), cols, to.get(2), from.get(2));
    }

    /** left [lr, lc] @ x @ right [rr, rc], batched over x's leading dimensions. */
    private static NDArray product(
            NDArray x, float[] left, long lr, long lc, float[] right, long rr, long rc) {
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x);
            NDArray l =
                    HostTensors.create(scope, left, new Shape(lr, lc))
                            .toDevice(x.getDevice(), false);
            NDArray r =
                    HostTensors.create(scope, right, new Shape(rr, rc))
                            .toDevice(x.getDevice(), false);
            return scope.ret(l.matMul(x.matMul(r)));
        }
    }
}
