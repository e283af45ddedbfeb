package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import diffpure.torch.HostTensors;
import java.util.Arrays;

/**
 * Square Attack (Andriushchenko et al., ECCV 2020), gradient-free, as in AutoAttack's square.py:
 * margin loss, p_init 0.8 with the fixed schedule (halving at 10, 50, 200, 500, 1000, 2000, 4000,
 * 6000, 8000 queries), Linf vertical-stripe initialisation and single-square sign proposals; L2
 * tiled initialisation and paired window proposals that keep the perturbation on the eps-sphere. A
 * proposal replaces the current point when it lowers the margin or meets the context's success rule
 * (enough of its EOT copies misclassified); queries stop for a sample once its current point meets
 * that rule, never on one fooled draw. The returned image is the best evaluated point: fewest
 * correctly classified copies, ties by the lower margin.
 *
 * <p>The model's logits are averaged over its EOT copies for the margin. Window positions and signs
 * are drawn per sample (the original paper's code does this; AutoAttack shares them across the
 * batch), so that a sample's run does not depend on its batch.
 *
 * @param threat the ball
 * @param queries query budget per sample (5000 in AutoAttack)
 * @param pInit initial fraction of pixels changed per proposal (0.8)
 */
public record Square(ThreatModel threat, int queries, double pInit) implements Attack {
    public Square {
        if (queries < 0) {
            throw new IllegalArgumentException("square: queries must be >= 0, found " + queries);
        }
        if (!(pInit > 0 && pInit <= 1)) {
            throw new IllegalArgumentException("square: p-init must be in (0, 1], found " + pInit);
        }
        threat.requireImageBall("square");
    }

    @Override
    public void requireClassCount(int classes) {
        Losses.requireClasses(name(), classes, 2, "a wrong class to move to");
    }

    /** AutoAttack's Square: 5000 queries, p_init 0.8. */
    public static Square standard(ThreatModel threat) {
        return new Square(threat, 5000, 0.8);
    }

    @Override
    public String name() {
        return "square";
    }

    @Override
    public int iterations() {
        return queries;
    }

    @Override
    public Square withEps(double eps) {
        return new Square(threat.withEps(eps), queries, pInit);
    }

    @Override
    public Square withIterations(int n) {
        return new Square(threat, n, pInit);
    }

    /**
     * The fraction of pixels a proposal changes after {@code it} queries (AutoAttack's schedule,
     * unscaled).
     */
    public double pSelection(int it) {
        int[] bounds = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
        double p = pInit;
        for (int bound : bounds) {
            if (it > bound) {
                p /= 2;
            }
        }
        return p;
    }

    @Override
    public AttackResult run(
            TargetModel model, NDArray x, NDArray labels, long[] sampleIds, AttackContext context) {
        Shape shape = x.getShape();
        if (shape.dimension() != 4) {
            throw new IllegalArgumentException("square needs images [B, C, H, W], found " + shape);
        }
        Losses.requireClasses(name(), model.classes(), 2, "a wrong class to move to");
        int b = (int) shape.get(0);
        int c = (int) shape.get(1);
        int h = (int) shape.get(2);
        int w = (int) shape.get(3);
        int per = c * h * w;
        context.checkpoints().requireRecordedBy(this);
        Tally tally = new Tally(name(), b, context, model.judgesOnSurrogate());
        long[] lab = Tensors.hostLong(labels);
        float[] xh = Tensors.host(x);
        float eps = (float) threat.eps();
        // cur: the point proposals start from (accepted when the margin falls); returned: the
        // best evaluated point by the tally's criterion.
        float[] cur = new float[b * per];
        for (int s = 0; s < b; s++) {
            float[] init =
                    threat.norm() == Norm.LINF
                            ? linfInit(xh, s, per, c, h, w, sampleIds[s], context, eps)
                            : l2Init(xh, s, per, c, h, w, sampleIds[s], context, eps);
            System.arraycopy(init, 0, cur, s * per, per);
        }
        float[] returned = cur.clone();
        int[] all = Tensors.all(b);
        Margins m0 = margins(model, x, cur, all, sampleIds, lab, tally, context, 0);
        float[] marginMin = m0.margin;
        boolean[] done = m0.seen.success().clone();
        tally.succeedWhere(all, m0.seen, 0);
        tally.improve(all, m0.seen, negated(m0.margin));
        for (int it = 0; it < queries; it++) {
            // A sample is queried until its current point met the success rule.
            boolean[] active = new boolean[b];
            for (int s = 0; s < b; s++) {
                active[s] = !done[s];
            }
            int[] idx = Tensors.indicesOf(active);
            if (idx.length == 0) {
                break;
            }
            float[] proposals = new float[idx.length * per];
            for (int i = 0; i < idx.length; i++) {
                int s = idx[i];
                float[] p =
                        threat.norm() == Norm.LINF
                                ? linfProposal(
                                        xh, cur, s, per, c, h, w, sampleIds[s], context, eps, it)
                                : l2Proposal(
                                        xh, cur, s, per, c, h, w, sampleIds[s], context, eps, it);
                System.arraycopy(p, 0, proposals, i * per, per);
            }
            Margins mm = margins(model, x, proposals, idx, sampleIds, lab, tally, context, it + 1);
            tally.succeedWhere(idx, mm.seen, it + 1);
            boolean[] better = tally.improve(idx, mm.seen, negated(mm.margin));
            for (int i = 0; i < idx.length; i++) {
                int s = idx[i];
                boolean success = mm.seen.success()[i];
                if (mm.margin[i] < marginMin[s] || success) {
                    marginMin[s] = mm.margin[i];
                    System.arraycopy(proposals, i * per, cur, s * per, per);
                }
                if (better[i]) {
                    System.arraycopy(proposals, i * per, returned, s * per, per);
                }
                done[s] = success;
            }
        }
        double[] dist = threat.check(xh, returned, b, name());
        try (NDManager run = NDManager.subManagerOf(x)) {
            NDArray adv = HostTensors.create(run, returned, shape);
            return new AttackResult(run.ret(adv), tally.traces(), dist);
        }
    }

    private static float[] negated(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = -v[i];
        }
        return out;
    }

    /** Margins of the EOT-mean logits and what the copies showed. */
    private record Margins(float[] margin, Tally.Seen seen) {}

    /** Margin z_y - max_{i != y} z_i of the EOT-mean logits for the rows idx of the batch. */
    private static Margins margins(
            TargetModel model,
            NDArray x,
            float[] images,
            int[] idx,
            long[] ids,
            long[] lab,
            Tally tally,
            AttackContext ctx,
            long draw) {
        int k = model.classes();
        Shape rowShape = x.getShape().slice(1);
        float[] mean;
        Tally.Seen seen;
        try (NDManager scope = NDManager.subManagerOf(x)) {
            NDArray batch =
                    HostTensors.create(scope, images, new Shape(idx.length).addAll(rowShape));
            NDArray logits =
                    model.logits(
                            batch,
                            Tensors.select(ids, idx),
                            Purpose.PURIFY,
                            ctx.draw(draw),
                            model.eot());
            seen = tally.observe(idx, logits, lab, false);
            mean = Tensors.host(logits.mean(new int[] {1}));
        }
        float[] margin = new float[idx.length];
        for (int i = 0; i < idx.length; i++) {
            int y = (int) lab[idx[i]];
            float other = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                if (j != y) {
                    other = Math.max(other, mean[i * k + j]);
                }
            }
            margin[i] = mean[i * k + y] - other;
        }
        return new Margins(margin, seen);
    }

    private static float[] linfInit(
            float[] x, int s, int per, int c, int h, int w, long id, AttackContext ctx, float eps) {
        // One sign per (channel, column): vertical stripes.
        float[] sign = AttackNoise.signs(ctx, id, Purpose.ATTACK_INIT, 0, 0, c * w);
        float[] out = new float[per];
        for (int ch = 0; ch < c; ch++) {
            for (int r = 0; r < h; r++) {
                for (int col = 0; col < w; col++) {
                    int i = (ch * h + r) * w + col;
                    out[i] = clamp01(x[s * per + i] + eps * sign[ch * w + col]);
                }
            }
        }
        return out;
    }

    private float[] linfProposal(
            float[] x,
            float[] best,
            int s,
            int per,
            int c,
            int h,
            int w,
            long id,
            AttackContext ctx,
            float eps,
            int it) {
        double p = pSelection(it);
        int size = (int) Math.max(Math.rint(Math.sqrt(p * per / c)), 1);
        size = Math.min(size, Math.min(h, w));
        double[] u = AttackNoise.uniforms(ctx, id, Purpose.ATTACK_SEARCH, it, 0, 2);
        int vh = AttackNoise.randomInt(u[0], 0, h - size);
        int vw = AttackNoise.randomInt(u[1], 0, w - size);
        float[] sign = AttackNoise.signs(ctx, id, Purpose.ATTACK_SEARCH, it, 1, c);
        float[] out = Arrays.copyOfRange(best, s * per, (s + 1) * per);
        for (int ch = 0; ch < c; ch++) {
            for (int r = vh; r < vh + size; r++) {
                for (int col = vw; col < vw + size; col++) {
                    int i = (ch * h + r) * w + col;
                    float xi = x[s * per + i];
                    float v = out[i] + 2 * eps * sign[ch];
                    out[i] = clamp01(Math.min(Math.max(v, xi - eps), xi + eps));
                }
            }
        }
        // Pixels outside the window are already in the ball (they come from the current best
        // point).
        return out;
    }

    private static float[] l2Init(
            float[] x, int s, int per, int c, int h, int w, long id, AttackContext ctx, float eps) {
        float[] delta = new float[per];
        int size = h / 5;
        int start = (h - size * 5) / 2;
        if (size >= 1) {
            int tiles = (h / size) * (w / size);
            float[] sign = AttackNoise.signs(ctx, id, Purpose.ATTACK_INIT, 0, 0, tiles * c);
            double[] flip = AttackNoise.uniforms(ctx, id, Purpose.ATTACK_INIT, 0, 1, tiles);
            int tile = 0;
            int vh = start;
            for (int a = 0; a < h / size; a++) {
                int vw = start;
                for (int bb = 0; bb < w / size; bb++) {
                    float[] e = eta(size, flip[tile] > 0.5);
                    for (int ch = 0; ch < c; ch++) {
                        for (int r = 0; r < size; r++) {
                            for (int col = 0; col < size; col++) {
                                int rr = vh + r;
                                int cc = vw + col;
                                if (rr < h && cc < w) {
                                    delta[(ch * h + rr) * w + cc] +=
                                            e[r * size + col] * sign[tile * c + ch];
                                }
                            }
                        }
                    }
                    tile++;
                    vw += size;
                }
                vh += size;
            }
        }
        return onSphere(x, s, per, delta, eps);
    }

    private float[] l2Proposal(
            float[] x,
            float[] best,
            int s,
            int per,
            int c,
            int h,
            int w,
            long id,
            AttackContext ctx,
            float eps,
            int it) {
        float[] delta = new float[per];
        for (int i = 0; i < per; i++) {
            delta[i] = best[s * per + i] - x[s * per + i];
        }
        double p = pSelection(it);
        int size = (int) Math.max(Math.rint(Math.sqrt(p * per / c)), 3);
        if (size % 2 == 0) {
            size++;
        }
        size = Math.min(size, Math.min(h, w));
        double[] u = AttackNoise.uniforms(ctx, id, Purpose.ATTACK_SEARCH, it, 0, 5);
        int vh = AttackNoise.randomInt(u[0], 0, h - size);
        int vw = AttackNoise.randomInt(u[1], 0, w - size);
        int vh2 = AttackNoise.randomInt(u[2], 0, h - size);
        int vw2 = AttackNoise.randomInt(u[3], 0, w - size);
        float[] sign = AttackNoise.signs(ctx, id, Purpose.ATTACK_SEARCH, it, 1, c);
        float[] e = eta(size, u[4] > 0.5);
        double normImage = Norm.L2.of(delta, 0, per);
        double[] normWin1 = new double[c];
        double[] normWindows = new double[c];
        for (int ch = 0; ch < c; ch++) {
            for (int r = 0; r < h; r++) {
                for (int col = 0; col < w; col++) {
                    double v = delta[(ch * h + r) * w + col];
                    boolean in1 = r >= vh && r < vh + size && col >= vw && col < vw + size;
                    boolean in2 = r >= vh2 && r < vh2 + size && col >= vw2 && col < vw2 + size;
                    if (in1) {
                        normWin1[ch] += v * v;
                    }
                    if (in1 || in2) {
                        normWindows[ch] += v * v;
                    }
                }
            }
            normWin1[ch] = Math.sqrt(normWin1[ch]);
            normWindows[ch] = Math.sqrt(normWindows[ch]);
        }
        float[][] fresh = new float[c][size * size];
        for (int ch = 0; ch < c; ch++) {
            double n2 = 0;
            for (int r = 0; r < size; r++) {
                for (int col = 0; col < size; col++) {
                    double old = delta[(ch * h + vh + r) * w + vw + col] / (1e-12 + normWin1[ch]);
                    double v = e[r * size + col] * sign[ch] + old;
                    fresh[ch][r * size + col] = (float) v;
                    n2 += v * v;
                }
            }
            // The new window gets the mass of both windows plus whatever budget the image has left.
            double target =
                    Math.sqrt(
                            Math.max(eps * (double) eps - normImage * normImage, 0) / c
                                    + normWindows[ch] * normWindows[ch]);
            double scale = target / (1e-12 + Math.sqrt(n2));
            for (int i = 0; i < size * size; i++) {
                fresh[ch][i] = (float) (fresh[ch][i] * scale);
            }
        }
        for (int ch = 0; ch < c; ch++) {
            for (int r = 0; r < size; r++) {
                for (int col = 0; col < size; col++) {
                    delta[(ch * h + vh2 + r) * w + vw2 + col] = 0;
                }
            }
        }
        for (int ch = 0; ch < c; ch++) {
            for (int r = 0; r < size; r++) {
                for (int col = 0; col < size; col++) {
                    delta[(ch * h + vh + r) * w + vw + col] = fresh[ch][r * size + col];
                }
            }
        }
        return onSphere(x, s, per, delta, eps);
    }

    /** clamp(x + eps delta / (||delta|| + 1e-12), 0, 1). */
    private static float[] onSphere(float[] x, int s, int per, float[] delta, float eps) {
        double n = Norm.L2.of(delta, 0, per);
        float[] out = new float[per];
        for (int i = 0; i < per; i++) {
            out[i] = clamp01((float) (x[s * per + i] + delta[i] / (n + 1e-12) * eps));
        }
        return out;
    }

    /**
     * The L2 proposal shape: two opposite-signed halves of nested squares, unit norm, optionally
     * transposed.
     */
    static float[] eta(int s, boolean transpose) {
        float[] d = new float[s * s];
        int top = s / 2;
        float[] upper = rectangles(top, s);
        float[] lower = rectangles(s - top, s);
        for (int r = 0; r < top; r++) {
            System.arraycopy(upper, r * s, d, r * s, s);
        }
        for (int r = 0; r < s - top; r++) {
            for (int col = 0; col < s; col++) {
                d[(top + r) * s + col] = -lower[r * s + col];
            }
        }
        normalizeL2(d);
        if (transpose) {
            float[] t = new float[s * s];
            for (int r = 0; r < s; r++) {
                for (int col = 0; col < s; col++) {
                    t[col * s + r] = d[r * s + col];
                }
            }
            return t;
        }
        return d;
    }

    private static float[] rectangles(int rows, int cols) {
        float[] d = new float[rows * cols];
        if (rows == 0) {
            return d;
        }
        int xc = rows / 2 + 1;
        int yc = cols / 2 + 1;
        int c0 = xc - 1;
        int c1 = yc - 1;
        for (int counter = 0; counter < Math.max(xc, yc); counter++) {
            float add = 1f / ((counter + 1) * (counter + 1));
            for (int r = Math.max(c0, 0); r < Math.min(c0 + 2 * counter + 1, rows); r++) {
                for (int col = Math.max(c1, 0); col < Math.min(c1 + 2 * counter + 1, cols); col++) {
                    d[r * cols + col] += add;
                }
            }
            c0--;
            c1--;
        }
        normalizeL2(d);
        return d;
    }

    private static void normalizeL2(float[] d) {
        double n = Norm.L2.of(d, 0, d.length);
        if (n > 0) {
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (d[i] / n);
            }
        }
    }

    private static float clamp01(float v) {
        return Math.min(Math.max(v, 0f), 1f);
    }
}
