package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import diffpure.torch.HostTensors;
import diffpure.torch.Scalars;
import java.util.List;

/**
 * The LF attack's image transform (DiffBreak, attacks/lf.py): a cascade of learned per-pixel guided
 * filters. Filter f with a kr x kc kernel maps x to
 *
 * <pre>
 *   out_p = sum_q e^{w_p(q)} c_p(q) x(q) / sum_q e^{w_p(q)} c_p(q)
 * </pre>
 *
 * over the window q = p + (dr - (kr-1)/2, dc - (kc-1)/2) of the reflect-extended input, where the
 * log-weights w_p are the reflection of a per-sample, per-pixel parameter of size (kr/2+1) x
 * (kc/2+1) (a quarter kernel, so every kernel is symmetric) and c_p(q) = exp(-||g(q) - g(p)||_1^2 /
 * (2 sigma^2)) comes from the clean guidance image g (L1 over channels, squared). It is computed as
 * a softmax over the window of w_p + log c_p, which is the same ratio and never divides by zero.
 * Reflection continues periodically where a window is wider than the image (H or W of 1 or 2
 * pixels); PyTorch's reflect padding, which the original uses, refuses that case and agrees with
 * this one everywhere else.
 *
 * <p>Everything is built from NDArray ops (gather, matMul, softmax), so gradients flow to the
 * parameters and the input under {@link diffpure.torch.PtAutograd}. Immutable; one per image shape
 * and kernel list.
 */
final class GuidedFilterCascade {
    /** Lower and upper clamp of the initial Gaussian, as the original (so the log is finite). */
    private static final double INIT_MIN = 1e-5;

    private static final double INIT_MAX = 0.999999;

    private final int channels;
    private final int height;
    private final int width;
    private final List<int[]> kernels;
    private final double sigmaColor;
    private final double initialSigma;

    /** Per filter: window index of pixel p, offset k, into the H*W pixels: [H*W * K]. */
    private final long[][] windows;

    /** Per filter: the 0/1 matrix [Q, K] that reflects a quarter kernel into the full one. */
    private final float[][] reflect;

    /**
     * @param image per-image shape [C, H, W]
     * @param kernels kernel sizes {kr, kc}, each odd and positive, applied in this order
     * @param sigmaColor range sigma of the guidance term (0.05 in DiffBreak's CIFAR-10 setting)
     * @param initialSigma sigma of the Gaussian the log-weights start from (0.2)
     */
    GuidedFilterCascade(Shape image, List<int[]> kernels, double sigmaColor, double initialSigma) {
        if (image.dimension() != 3) {
            throw new IllegalArgumentException("lf needs images [C, H, W], found " + image);
        }
        if (!(sigmaColor > 0) || !(initialSigma > 0)) {
            throw new IllegalArgumentException(
                    "lf: sigma-color and the initial sigma must be > 0, found "
                            + sigmaColor
                            + " and "
                            + initialSigma);
        }
        channels = (int) image.get(0);
        height = (int) image.get(1);
        width = (int) image.get(2);
        this.kernels = kernels.stream().map(int[]::clone).toList();
        this.sigmaColor = sigmaColor;
        this.initialSigma = initialSigma;
        windows = new long[kernels.size()][];
        reflect = new float[kernels.size()][];
        for (int f = 0; f < kernels.size(); f++) {
            int[] k = kernels.get(f);
            if (k.length != 2 || k[0] < 1 || k[1] < 1 || k[0] % 2 == 0 || k[1] % 2 == 0) {
                throw new IllegalArgumentException(
                        "lf: kernel sizes must be two odd positive numbers, found "
                                + java.util.Arrays.toString(k));
            }
            windows[f] = windows(k[0], k[1]);
            reflect[f] = reflection(k[0], k[1]);
        }
    }

    int filters() {
        return kernels.size();
    }

    int pixels() {
        return height * width;
    }

    /** Entries of filter f's quarter kernel. */
    int quarterSize(int f) {
        int[] k = kernels.get(f);
        return (k[0] / 2 + 1) * (k[1] / 2 + 1);
    }

    /** Entries of filter f's kernel. */
    int kernelSize(int f) {
        int[] k = kernels.get(f);
        return k[0] * k[1];
    }

    /** Index i reflected into [0, n) (period 2(n-1); every index is 0 when n is 1). */
    static int reflectIndex(int i, int n) {
        if (n == 1) {
            return 0;
        }
        int period = 2 * (n - 1);
        int m = Math.floorMod(i, period);
        return m < n ? m : period - m;
    }

    private long[] windows(int kr, int kc) {
        long[] idx = new long[height * width * kr * kc];
        int o = 0;
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                for (int dr = 0; dr < kr; dr++) {
                    int rr = reflectIndex(r + dr - (kr - 1) / 2, height);
                    for (int dc = 0; dc < kc; dc++) {
                        int cc = reflectIndex(c + dc - (kc - 1) / 2, width);
                        idx[o++] = (long) rr * width + cc;
                    }
                }
            }
        }
        return idx;
    }

    /** The quarter's entry (min(i, 2(h-1) - i)) each full-kernel entry copies, as a 0/1 matrix. */
    private static float[] reflection(int kr, int kc) {
        int hr = kr / 2 + 1;
        int hc = kc / 2 + 1;
        float[] s = new float[hr * hc * kr * kc];
        for (int i = 0; i < kr; i++) {
            for (int j = 0; j < kc; j++) {
                int qi = i < hr ? i : 2 * (hr - 1) - i;
                int qj = j < hc ? j : 2 * (hc - 1) - j;
                s[(qi * hc + qj) * (kr * kc) + i * kc + j] = 1;
            }
        }
        return s;
    }

    /**
     * Filter f's initial quarter log-weights for {@code rows} images, float[rows * H*W * Q]: the
     * log of the top-left quarter of a normalised 2-D Gaussian of sigma {@code initialSigma},
     * clamped to [1e-5, 0.999999], the same at every pixel.
     */
    float[] initialWeights(int f, int rows) {
        int[] k = kernels.get(f);
        double[] gr = gaussian(k[0]);
        double[] gc = gaussian(k[1]);
        int hr = k[0] / 2 + 1;
        int hc = k[1] / 2 + 1;
        float[] quarter = new float[hr * hc];
        for (int i = 0; i < hr; i++) {
            for (int j = 0; j < hc; j++) {
                double g = Math.min(Math.max(gr[i] * gc[j], INIT_MIN), INIT_MAX);
                quarter[i * hc + j] = (float) Math.log(g);
            }
        }
        float[] out = new float[rows * pixels() * quarter.length];
        for (int p = 0; p < rows * pixels(); p++) {
            System.arraycopy(quarter, 0, out, p * quarter.length, quarter.length);
        }
        return out;
    }

    /** A normalised 1-D Gaussian of the initial sigma on the offsets -(n-1)/2 .. (n-1)/2. */
    private double[] gaussian(int n) {
        double[] g = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double x = i - (n - 1) / 2.0;
            g[i] = Math.exp(-x * x / (2 * initialSigma * initialSigma));
            sum += g[i];
        }
        for (int i = 0; i < n; i++) {
            g[i] /= sum;
        }
        return g;
    }

    /**
     * Filter f's log guidance term for {@code rows} clean images g (host, [rows * C*H*W]), computed
     * once in double precision: -||g(q) - g(p)||_1^2 / (2 sigma^2), float[rows * H*W * K].
     */
    float[] logGuidance(int f, float[] guidance, int rows) {
        int hw = pixels();
        int kk = kernelSize(f);
        long[] win = windows[f];
        float[] out = new float[rows * hw * kk];
        double scale = 1 / (2 * sigmaColor * sigmaColor);
        for (int b = 0; b < rows; b++) {
            int base = b * channels * hw;
            for (int p = 0; p < hw; p++) {
                for (int k = 0; k < kk; k++) {
                    int q = (int) win[p * kk + k];
                    double l1 = 0;
                    for (int c = 0; c < channels; c++) {
                        l1 += Math.abs(guidance[base + c * hw + q] - guidance[base + c * hw + p]);
                    }
                    out[(b * hw + p) * kk + k] = (float) (-l1 * l1 * scale);
                }
            }
        }
        return out;
    }

    /**
     * The cascade applied to x.
     *
     * @param x float32[B, C, H, W]
     * @param quarters per filter, the quarter log-weights float32[B, H*W, Q]
     * @param logGuidance per filter, {@link #logGuidance} as float32[B, H*W, K] (a constant)
     * @return float32[B, C, H, W] on x's manager's scope owner
     */
    NDArray apply(NDArray x, List<NDArray> quarters, List<NDArray> logGuidance) {
        int b = (int) x.getShape().get(0);
        int hw = pixels();
        NDManager m = x.getManager();
        NDArray out = x.reshape(b, channels, hw);
        for (int f = 0; f < kernels.size(); f++) {
            int kk = kernelSize(f);
            int q = quarterSize(f);
            NDArray select = HostTensors.create(m, reflect[f], new Shape(q, kk));
            NDArray logWeights = quarters.get(f).matMul(select).add(logGuidance.get(f));
            NDArray weights = logWeights.softmax(2).expandDims(1); // [B, 1, HW, K]
            NDArray index = windowIndex(m, f, b);
            NDArray patches = out.gather(index, 2).reshape(b, channels, hw, kk);
            out = patches.mul(weights).sum(new int[] {3});
        }
        return out.reshape(b, channels, height, width);
    }

    /** Filter f's window indices repeated over B images and C channels: int64[B, C, H*W*K]. */
    private NDArray windowIndex(NDManager m, int f, int b) {
        long[] win = windows[f];
        long[] idx = new long[b * channels * win.length];
        for (int r = 0; r < b * channels; r++) {
            System.arraycopy(win, 0, idx, r * win.length, win.length);
        }
        return m.create(idx, new Shape(b, channels, win.length)).toType(DataType.INT64, false);
    }

    /**
     * The LF image of a modifier: the cascade of ((tanh(modifier + x0) + 1) / 2), x0 = atanh((2
     * clean - 1) * 0.999999) (the original's offset, so the identity is reachable).
     */
    NDArray image(NDArray modifier, NDArray x0, List<NDArray> quarters, List<NDArray> logGuide) {
        NDArray start = Scalars.mul(Scalars.add(modifier.add(x0).tanh(), 1), 0.5);
        return apply(start, quarters, logGuide);
    }

    /** atanh((2 x - 1) * 0.999999), the tanh offset of the clean images x. */
    static NDArray tanhOffset(NDArray x) {
        // DJL's PyTorch engine has no atanh: 0.5 log((1 + z) / (1 - z)), on a constant
        NDArray z = x.mul(2f).sub(1f).mul(0.999999f);
        return z.add(1f).div(z.neg().add(1f)).log().mul(0.5f);
    }
}
