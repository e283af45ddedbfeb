package diffpure.attack;

/**
 * Per-pixel flow fields on the host: bilinear warping with zero padding (PyTorch's {@code
 * grid_sample} with {@code align_corners=False} on the identity grid plus the flow), its
 * vector-Jacobian product with respect to the flow, and StAdv's flow smoothness loss with its
 * gradient.
 *
 * <p>Images are float[B * C * H * W] (row-major [B, C, H, W]); flows are float[B * H * W * 2]
 * (row-major [B, H, W, 2], component 0 horizontal, 1 vertical) in normalised grid units, so that
 * output pixel (i, j) samples the input at column j + f_0 W / 2 and row i + f_1 H / 2. A zero flow
 * samples every pixel exactly at its own position, so it is the identity bit for bit.
 *
 * @param channels C
 * @param height H
 * @param width W
 */
public record FlowWarp(int channels, int height, int width) {
    /**
     * Added under the square root of each neighbour difference, as the reference, so the loss is
     * smooth at 0.
     */
    public static final double SMOOTHNESS_FLOOR = 1e-10;

    public FlowWarp {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException(
                    "flow warp needs a positive image shape, found ["
                            + channels
                            + ", "
                            + height
                            + ", "
                            + width
                            + "]");
        }
    }

    /** Values per image. */
    public int imageSize() {
        return channels * height * width;
    }

    /** Values per flow field (two per pixel). */
    public int flowSize() {
        return 2 * height * width;
    }

    /** The warped images, float32. */
    public float[] warp(float[] x, float[] flow, int rows) {
        double[] d = warpExact(x, flow, rows);
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) d[i];
        }
        return out;
    }

    /** The warped images in double precision (for finite-difference checks). */
    public double[] warpExact(float[] x, float[] flow, int rows) {
        checkSizes(x, flow, rows);
        int hw = height * width;
        double[] out = new double[rows * imageSize()];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < height; i++) {
                for (int j = 0; j < width; j++) {
                    int p = i * width + j;
                    Corners k = corners(flow, b, i, j);
                    for (int c = 0; c < channels; c++) {
                        int base = (b * channels + c) * hw;
                        out[base + p] =
                                k.wy0
                                                * (k.wx0 * at(x, base, k.y0, k.x0)
                                                        + k.wx1 * at(x, base, k.y0, k.x0 + 1))
                                        + k.wy1
                                                * (k.wx0 * at(x, base, k.y0 + 1, k.x0)
                                                        + k.wx1 * at(x, base, k.y0 + 1, k.x0 + 1));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The gradient of sum(g * warp(x, flow)) with respect to the flow: float[B * H * W * 2]. At
     * sampling points on the pixel lattice (where the warp has a kink) it is the right-sided
     * derivative, as grid_sample's backward.
     *
     * @param g d loss / d warped image, float[B * C * H * W]
     */
    public float[] flowGradient(float[] x, float[] flow, float[] g, int rows) {
        checkSizes(x, flow, rows);
        if (g.length != x.length) {
            throw new IllegalArgumentException(
                    "image gradient has " + g.length + " values, images " + x.length);
        }
        int hw = height * width;
        float[] out = new float[flow.length];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < height; i++) {
                for (int j = 0; j < width; j++) {
                    int p = i * width + j;
                    Corners k = corners(flow, b, i, j);
                    double gx = 0;
                    double gy = 0;
                    for (int c = 0; c < channels; c++) {
                        int base = (b * channels + c) * hw;
                        double v00 = at(x, base, k.y0, k.x0);
                        double v01 = at(x, base, k.y0, k.x0 + 1);
                        double v10 = at(x, base, k.y0 + 1, k.x0);
                        double v11 = at(x, base, k.y0 + 1, k.x0 + 1);
                        double gc = g[base + p];
                        gx += gc * (k.wy0 * (v01 - v00) + k.wy1 * (v11 - v10));
                        gy += gc * (k.wx0 * (v10 - v00) + k.wx1 * (v11 - v01));
                    }
                    // Chain rule from pixel to normalised units.
                    out[(b * hw + p) * 2] = (float) (gx * width / 2.0);
                    out[(b * hw + p) * 2 + 1] = (float) (gy * height / 2.0);
                }
            }
        }
        return out;
    }

    /**
     * StAdv's flow loss per row (Xiao et al. 2018, as DiffPure's mister_ed): the sum over pixels p
     * and their four neighbours q of sqrt(||f_p - f_q||^2 + 1e-10), a missing neighbour at the
     * border counting as f_q = f_p.
     */
    public double[] smoothness(float[] flow, int rows) {
        checkFlow(flow, rows);
        double[] out = new double[rows];
        for (int b = 0; b < rows; b++) {
            double acc = 0;
            for (int i = 0; i < height; i++) {
                for (int j = 0; j < width; j++) {
                    for (int[] d : NEIGHBOURS) {
                        acc +=
                                Math.sqrt(
                                        squaredDifference(flow, b, i, j, i + d[0], j + d[1])
                                                + SMOOTHNESS_FLOOR);
                    }
                }
            }
            out[b] = acc;
        }
        return out;
    }

    /** The gradient of {@link #smoothness} summed over rows with respect to the flow. */
    public float[] smoothnessGradient(float[] flow, int rows) {
        checkFlow(flow, rows);
        int hw = height * width;
        double[] acc = new double[flow.length];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < height; i++) {
                for (int j = 0; j < width; j++) {
                    for (int[] d : NEIGHBOURS) {
                        int qi = i + d[0];
                        int qj = j + d[1];
                        if (qi < 0 || qi >= height || qj < 0 || qj >= width) {
                            continue;
                        }
                        double s =
                                Math.sqrt(
                                        squaredDifference(flow, b, i, j, qi, qj)
                                                + SMOOTHNESS_FLOOR);
                        int p = (b * hw + i * width + j) * 2;
                        int q = (b * hw + qi * width + qj) * 2;
                        for (int a = 0; a < 2; a++) {
                            double t = (flow[p + a] - flow[q + a]) / s;
                            acc[p + a] += t;
                            acc[q + a] -= t;
                        }
                    }
                }
            }
        }
        float[] out = new float[acc.length];
        for (int i = 0; i < acc.length; i++) {
            out[i] = (float) acc[i];
        }
        return out;
    }

    /**
     * Projects flows in place onto the bound (each component in [-bound, bound]) intersected with
     * grid_sample's valid grid [-1, 1] (the reference clips the grid first, then the flow).
     */
    public void project(float[] flow, int rows, double bound) {
        checkFlow(flow, rows);
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < height; i++) {
                for (int j = 0; j < width; j++) {
                    int p = (b * height * width + i * width + j) * 2;
                    flow[p] = clampComponent(flow[p], identity(j, width), bound);
                    flow[p + 1] = clampComponent(flow[p + 1], identity(i, height), bound);
                }
            }
        }
    }

    /** Per-row largest absolute flow component, in double precision. */
    public double[] linf(float[] flow, int rows) {
        checkFlow(flow, rows);
        double[] out = new double[rows];
        for (int b = 0; b < rows; b++) {
            out[b] = Norm.FLOW_LINF.of(flow, b * flowSize(), flowSize());
        }
        return out;
    }

    private static final int[][] NEIGHBOURS = {{0, -1}, {0, 1}, {-1, 0}, {1, 0}};

    /**
     * The identity grid's coordinate of index k of n in normalised units (affine_grid,
     * align_corners=False).
     */
    private static double identity(int k, int n) {
        return (2.0 * k + 1) / n - 1;
    }

    private static float clampComponent(float f, double grid, double bound) {
        double lo = Math.max(-bound, -1 - grid);
        double hi = Math.min(bound, 1 - grid);
        return (float) Math.min(Math.max(f, lo), hi);
    }

    private double squaredDifference(float[] flow, int b, int i, int j, int qi, int qj) {
        if (qi < 0 || qi >= height || qj < 0 || qj >= width) {
            return 0;
        }
        int hw = height * width;
        int p = (b * hw + i * width + j) * 2;
        int q = (b * hw + qi * width + qj) * 2;
        double du = flow[p] - flow[q];
        double dv = flow[p + 1] - flow[q + 1];
        return du * du + dv * dv;
    }

    /** Bilinear weights and the top-left corner of the sampling point of output pixel (i, j). */
    private record Corners(int y0, int x0, double wy0, double wy1, double wx0, double wx1) {}

    private Corners corners(float[] flow, int b, int i, int j) {
        int f = (b * height * width + i * width + j) * 2;
        double sx = j + flow[f] * (width / 2.0);
        double sy = i + flow[f + 1] * (height / 2.0);
        int x0 = (int) Math.floor(sx);
        int y0 = (int) Math.floor(sy);
        double wx1 = sx - x0;
        double wy1 = sy - y0;
        return new Corners(y0, x0, 1 - wy1, wy1, 1 - wx1, wx1);
    }

    /** x[base + (r, c)], 0 outside the image (zero padding). */
    private double at(float[] x, int base, int r, int c) {
        return r < 0 || r >= height || c < 0 || c >= width ? 0 : x[base + r * width + c];
    }

    private void checkSizes(float[] x, float[] flow, int rows) {
        if (x.length != rows * imageSize()) {
            throw new IllegalArgumentException(
                    "images have " + x.length + " values, expected " + rows + " x " + imageSize());
        }
        checkFlow(flow, rows);
    }

    private void checkFlow(float[] flow, int rows) {
        if (flow.length != rows * flowSize()) {
            throw new IllegalArgumentException(
                    "flows have " + flow.length + " values, expected " + rows + " x " + flowSize());
        }
    }
}
