package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import diffpure.torch.HostTensors;

/**
 * Targeted FAB (Croce &amp; Hein, "Minimally distorted adversarial examples with a fast adaptive
 * boundary attack", ICML 2020), as AutoAttack's fab_pt with targeted = true: for each of the most
 * likely wrong classes t, linearise g = z_t - z_y at the current point, project both the current
 * point and the clean image onto the hyperplane g = 0 within the box, step to a convex combination
 * of the two projections (weight of the clean one = min(a1 / (a1 + a2), alpha_max)) with overshoot
 * eta, and when the point is misclassified keep it if it is the nearest so far and pull it back
 * towards the clean image by beta. Whether a point is adversarial is judged by all EOT copies of an
 * evaluation and the context's success rule. A sample counts as broken only if the nearest
 * adversarial point of a target lies inside the eps-ball and a fresh evaluation of it meets the
 * rule; the returned image is the best of those checked points inside the ball (fewest correctly
 * classified copies, ties by the higher mean CW margin loss), or the clean image when there is
 * none.
 *
 * @param threat the ball (also the radius of random restarts)
 * @param iterations iterations per target (100)
 * @param restarts runs per target; all but the first start at a random point (1 in AutoAttack
 *     standard)
 * @param targetClasses most likely wrong classes tried (9)
 * @param alphaMax largest weight of the clean image's projection (0.1)
 * @param eta overshoot (1.05)
 * @param beta backward step towards the clean image after a success (0.9)
 */
public record FabTargeted(
        ThreatModel threat,
        int iterations,
        int restarts,
        int targetClasses,
        double alphaMax,
        double eta,
        double beta)
        implements Attack {

    public FabTargeted {
        if (iterations < 1 || restarts < 1 || targetClasses < 1) {
            throw new IllegalArgumentException(
                    "fab-t: iterations, restarts and target classes must be >= 1, found "
                            + iterations
                            + ", "
                            + restarts
                            + ", "
                            + targetClasses);
        }
        threat.requireImageBall("fab-t");
    }

    /**
     * FAB-T as in AutoAttack standard: 100 iterations, 1 restart, 9 targets, alpha_max 0.1, eta
     * 1.05, beta 0.9.
     */
    public static FabTargeted standard(ThreatModel threat) {
        return new FabTargeted(threat, 100, 1, 9, 0.1, 1.05, 0.9);
    }

    @Override
    public String name() {
        return "fab-t";
    }

    @Override
    public FabTargeted withEps(double eps) {
        return new FabTargeted(
                threat.withEps(eps), iterations, restarts, targetClasses, alphaMax, eta, beta);
    }

    @Override
    public FabTargeted withIterations(int n) {
        return new FabTargeted(threat, n, restarts, targetClasses, alphaMax, eta, beta);
    }

    /** The same attack with another number of targets. */
    public FabTargeted withTargetClasses(int n) {
        return new FabTargeted(threat, iterations, restarts, n, alphaMax, eta, beta);
    }

    @Override
    public void requireClassCount(int classes) {
        Losses.requireClasses(
                name(), classes, targetClasses + 1, targetClasses + " target classes");
    }

    @Override
    public AttackResult run(
            TargetModel model, NDArray x, NDArray labels, long[] sampleIds, AttackContext context) {
        int k = model.classes();
        requireCompatible(model);
        Shape shape = x.getShape();
        int b = (int) shape.get(0);
        if (b != sampleIds.length) {
            throw new IllegalArgumentException(
                    name() + ": " + b + " images but " + sampleIds.length + " sample ids");
        }
        int per = (int) shape.slice(1).size();
        context.checkpoints().requireRecordedBy(this);
        Tally tally = new Tally(name(), b, context, model.judgesOnSurrogate());
        long[] lab = Tensors.hostLong(labels);
        float[] xh = Tensors.host(x);
        float[] out = xh.clone();
        BatchState batch = new BatchState(model, x, xh, lab, sampleIds, tally, context, out);
        long[][] targets = new long[targetClasses][];
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x);
            NDArray logits =
                    model.logits(x, sampleIds, Purpose.PURIFY, context.draw(0), model.eot());
            tally.ranking(Tensors.all(b), logits);
            float[] mean = Tensors.host(logits.mean(new int[] {1}));
            for (int j = 0; j < targetClasses; j++) {
                targets[j] = Apgd.targetsOfRank(mean, k, j + 2);
            }
        }
        long drawsPerRun = 2L * iterations + 2;
        int runIndex = 0;
        for (int j = 0; j < targetClasses; j++) {
            for (int r = 0; r < restarts; r++, runIndex++) {
                boolean[] todo = new boolean[b];
                for (int s = 0; s < b; s++) {
                    todo[s] = !tally.success[s];
                }
                int[] idx = Tensors.indicesOf(todo);
                if (idx.length == 0) {
                    break;
                }
                long base = 1 + runIndex * drawsPerRun;
                single(batch, new Run(idx, targets[j], r, runIndex, base));
            }
        }
        double[] dist = threat.check(xh, out, b, name());
        try (NDManager scope = NDManager.subManagerOf(x)) {
            NDArray adv = HostTensors.create(scope, out, shape);
            return new AttackResult(scope.ret(adv), tally.traces(), dist);
        }
    }

    /**
     * The batch an attack call works on, shared by its runs.
     *
     * @param x the clean images
     * @param xh the same on the host
     * @param labels the true labels, on the host
     * @param ids the sample ids
     * @param tally the per-sample bookkeeping
     * @param out the images the attack returns, on the host: each run writes its improvements
     */
    private record BatchState(
            TargetModel model,
            NDArray x,
            float[] xh,
            long[] labels,
            long[] ids,
            Tally tally,
            AttackContext ctx,
            float[] out) {}

    /**
     * One run: the rows not yet broken, their target, and where the run's draws start.
     *
     * @param idx the rows' indices into the batch
     * @param target the target class per batch index
     * @param restart the restart index within the target (all but the first start at random)
     * @param runIndex the run's index over all targets and restarts (its random start's draw)
     * @param drawBase the draw index of the run's first evaluation
     */
    private record Run(int[] idx, long[] target, int restart, int runIndex, long drawBase) {}

    private void single(BatchState batch, Run run) {
        TargetModel model = batch.model();
        NDArray x = batch.x();
        float[] xh = batch.xh();
        Shape shape = x.getShape();
        long[] lab = batch.labels();
        long[] ids = batch.ids();
        Tally tally = batch.tally();
        AttackContext ctx = batch.ctx();
        float[] out = batch.out();
        int[] idx = run.idx();
        long[] target = run.target();
        long base = run.drawBase();
        int n = idx.length;
        int per = (int) shape.slice(1).size();
        int k = model.classes();
        Norm norm = threat.norm();
        Shape subShape = new Shape(n).addAll(shape.slice(1));
        long[] subIds = Tensors.select(ids, idx);
        long[] subLab = Tensors.select(lab, idx);
        float[] im2 = new float[n * per];
        for (int i = 0; i < n; i++) {
            System.arraycopy(xh, idx[i] * per, im2, i * per, per);
        }
        float[] x1 = im2.clone();
        if (run.restart() > 0) {
            randomStart(x1, im2, n, per, subIds, ctx, run.runIndex());
        }
        float[] adv = im2.clone();
        double[] res = new double[n];
        java.util.Arrays.fill(res, 1e10);
        int[] firstFound = new int[n];
        float eta32 = (float) eta;
        for (int it = 0; it < iterations; it++) {
            float[] df;
            float[] dg;
            try (NDManager scope = NDManager.subManagerOf(x)) {
                NDArray xs = HostTensors.create(scope, x1, subShape);
                NDArray enc = Losses.encode(scope, subLab, Tensors.select(target, idx), k);
                TargetModel.Evaluation ev =
                        model.lossAndGradient(
                                xs,
                                enc,
                                subIds,
                                Losses.targetMargin(),
                                Purpose.PURIFY,
                                ctx.draw(base + 2L * it));
                tally.observe(idx, ev.logits(), lab, true);
                tally.zeroGradients(idx, ev.gradient());
                df = Tensors.host(ev.loss());
                dg = Tensors.host(ev.gradient());
            }
            for (int i = 0; i < n; i++) {
                int o = i * per;
                double dot = 0;
                for (int p = 0; p < per; p++) {
                    dot += (double) dg[o + p] * x1[o + p];
                }
                // Hyperplane of the linearised g: dg.z = dg.x1 - g(x1).
                double bb = -df[i] + dot;
                double[] d1 = FabProjections.project(norm, x1, o, dg, o, bb, per);
                double[] d2 = FabProjections.project(norm, im2, o, dg, o, bb, per);
                double a1 = Math.max(norm(norm, d1), 1e-8);
                double a2 = Math.max(norm(norm, d2), 1e-8);
                double alpha = Math.min(Math.max(a1 / (a1 + a2), 0), alphaMax);
                for (int p = 0; p < per; p++) {
                    float v =
                            (float)
                                    ((x1[o + p] + eta32 * d1[p]) * (1 - alpha)
                                            + (im2[o + p] + d2[p] * eta32) * alpha);
                    x1[o + p] = Math.min(Math.max(v, 0f), 1f);
                }
            }
            boolean[] isAdv;
            try (NDManager scope = NDManager.subManagerOf(x)) {
                // All EOT copies judge the step's point, as for the gradient attacks.
                NDArray logits =
                        model.logits(
                                HostTensors.create(scope, x1, subShape),
                                subIds,
                                Purpose.PURIFY,
                                ctx.draw(base + 2L * it + 1),
                                model.eot());
                isAdv = tally.observe(idx, logits, lab, false).success();
            }
            for (int i = 0; i < n; i++) {
                if (!isAdv[i]) {
                    continue;
                }
                int o = i * per;
                double t = norm.of(diff(x1, im2, o, per), 0, per);
                if (t < res[i]) {
                    if (res[i] == 1e10) {
                        firstFound[i] = it + 1;
                    }
                    res[i] = t;
                    System.arraycopy(x1, o, adv, o, per);
                }
                for (int p = 0; p < per; p++) {
                    x1[o + p] = (float) (im2[o + p] + (x1[o + p] - im2[o + p]) * beta);
                }
            }
        }
        // As the reference: a fresh evaluation of the nearest point, and the ball, decide success.
        boolean[] found = new boolean[n];
        for (int i = 0; i < n; i++) {
            found[i] = res[i] < 1e10;
        }
        int[] f = Tensors.indicesOf(found);
        if (f.length == 0) {
            return;
        }
        float[] cand = new float[f.length * per];
        int[] fIdx = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            System.arraycopy(adv, f[i] * per, cand, i * per, per);
            fIdx[i] = idx[f[i]];
        }
        Tally.Seen seen;
        float[] score;
        try (NDManager scope = NDManager.subManagerOf(x)) {
            long[] fIds = Tensors.select(ids, fIdx);
            NDArray logits =
                    model.logits(
                            HostTensors.create(
                                    scope, cand, new Shape(f.length).addAll(shape.slice(1))),
                            fIds,
                            Purpose.PURIFY,
                            ctx.draw(base + 2L * iterations),
                            model.eot());
            seen = tally.observe(fIdx, logits, lab, false);
            score =
                    Losses.meanOverCopies(
                            Losses.cwMargin(),
                            logits,
                            HostTensors.create(scope, Tensors.select(lab, fIdx)));
        }
        // Only points inside the ball may be returned; among them the best by the tally's
        // criterion (samples with none keep their clean image).
        boolean[] inBall = new boolean[f.length];
        for (int i = 0; i < f.length; i++) {
            double dist = norm.of(diff(cand, xh, i * per, fIdx[i] * per, per), 0, per);
            inBall[i] = dist <= threat.eps();
        }
        int[] keep = Tensors.indicesOf(inBall);
        int[] keepIdx = new int[keep.length];
        boolean[] keepOk = new boolean[keep.length];
        double[] keepMiss = new double[keep.length];
        float[] keepScore = new float[keep.length];
        for (int j = 0; j < keep.length; j++) {
            keepIdx[j] = fIdx[keep[j]];
            keepOk[j] = seen.success()[keep[j]];
            keepMiss[j] = seen.miss()[keep[j]];
            keepScore[j] = score[keep[j]];
        }
        Tally.Seen kept = new Tally.Seen(keepOk, keepMiss);
        boolean[] better = tally.improve(keepIdx, kept, keepScore);
        for (int j = 0; j < keep.length; j++) {
            int i = keep[j];
            int s = fIdx[i];
            if (keepOk[j]) {
                tally.succeed(s, firstFound[f[i]]);
            }
            if (better[j]) {
                System.arraycopy(cand, i * per, out, s * per, per);
            }
        }
    }

    private void randomStart(
            float[] x1, float[] im2, int n, int per, long[] ids, AttackContext ctx, int draw) {
        double eps = threat.eps();
        for (int i = 0; i < n; i++) {
            float[] t;
            if (threat.norm() == Norm.LINF) {
                double[] u = AttackNoise.uniforms(ctx, ids[i], Purpose.ATTACK_INIT, draw, 0, per);
                t = new float[per];
                for (int p = 0; p < per; p++) {
                    t[p] = (float) (2 * u[p] - 1);
                }
            } else {
                t = AttackNoise.normals(ctx, ids[i], Purpose.ATTACK_INIT, draw, 0, per);
            }
            double nt = threat.norm().of(t, 0, per);
            for (int p = 0; p < per; p++) {
                float v = (float) (im2[i * per + p] + eps * t[p] / nt * 0.5);
                x1[i * per + p] = Math.min(Math.max(v, 0f), 1f);
            }
        }
    }

    private static double norm(Norm norm, double[] d) {
        double acc = 0;
        for (double v : d) {
            acc = norm == Norm.LINF ? Math.max(acc, Math.abs(v)) : acc + v * v;
        }
        return norm == Norm.LINF ? acc : Math.sqrt(acc);
    }

    private static float[] diff(float[] a, float[] b, int o, int per) {
        return diff(a, b, o, o, per);
    }

    private static float[] diff(float[] a, float[] b, int oa, int ob, int per) {
        float[] d = new float[per];
        for (int p = 0; p < per; p++) {
            d[p] = a[oa + p] - b[ob + p];
        }
        return d;
    }
}
