package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientGrafting;
import diffpure.gradient.Objective;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import diffpure.torch.HostTensors;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * DiffHammer (Wang et al., "DiffHammer: Rethinking the Robustness of Diffusion-Based Adversarial
 * Purification", NeurIPS 2024; official code Ka1b0/DiffHammer): APGD whose step direction comes
 * from N purified copies of the current iterate.
 *
 * <p>Each restart (losses CW, CE, DLR in turn, each from a fresh random start) first evaluates N
 * copies of the clean image, then every iteration (1) grafts: the copy q* of the last evaluation is
 * replayed from its noise keys at the current iterate and the weighted mean of the copies' BPDA
 * gradients is carried back to the input ({@link GradientGrafting}); (2) averages the result with
 * the previous direction, g_t = t^-1/2 g + (1 - t^-1/2) g_{t-1} (t the iteration, from 1); (3)
 * takes APGD's step; (4) evaluates N copies of the new iterate, each with its loss, BPDA gradient
 * and vote, and weighs them ({@link EmWeighting}) for the next step. APGD's step-size schedule is
 * AutoAttack's ({@link Apgd}), judged on the highest of the N losses of each iteration (as the
 * official code judges it). Restarts 2 and 3 attack only the samples whose highest per-iteration
 * fooled share so far is at most {@code restartThreshold} (0.5) and that the success rule has not
 * broken.
 *
 * <p>The clean evaluation stands for the random start in the bookkeeping: it counts toward the
 * sample's evaluations (and so its worst case), its highest loss is the schedule's first value, and
 * the random start is the run's first best iterate (the official code's, never evaluated itself).
 *
 * <p>Deviations from the official code, all deliberate: one EM step instead of five identical ones
 * ({@link EmWeighting}); AutoAttack's schedule where the official code keeps the first iterate as
 * APGD's momentum reference for ever (its x_adv_last is never updated), compares the per-iteration
 * highest losses for equality instead of the best loss for improvement, and sends every sample back
 * to its best iterate at every checkpoint; grafting through the coarse chain's own states unless
 * {@link GradientGrafting.States#AUTHORS} asks for the official fine-chain states; and every
 * iteration is run for every sample of a restart (the official code stops a batch early once every
 * copy of every sample was fooled).
 *
 * @param threat the ball
 * @param iterations iterations per restart (50)
 * @param evaluations N, purified copies per evaluation (10)
 * @param losses the loss of each restart, in order (CW, CE, DLR)
 * @param grafting where grafting takes its Jacobians
 * @param steering EM weighting and momentum on (the attack) or off (plain APGD on the grafted mean
 *     gradient, for comparison)
 * @param restartThreshold restarts after the first attack the samples whose highest fooled share is
 *     at most this
 */
public record DiffHammer(
        ThreatModel threat,
        int iterations,
        int evaluations,
        List<RestartLoss> losses,
        GradientGrafting.States grafting,
        Steering steering,
        double restartThreshold)
        implements Attack {

    /** The loss of one restart. */
    public enum RestartLoss {
        /** Carlini-Wagner's margin. */
        CW,
        /** Cross-entropy. */
        CE,
        /** Difference of logits ratio. */
        DLR;

        Objective objective() {
            return switch (this) {
                case CW -> Losses.cwMargin();
                case CE -> Losses.crossEntropy();
                case DLR -> Losses.dlr();
            };
        }
    }

    /**
     * How the step direction is steered.
     *
     * @param weighting EM weighting of the copies (off: q* = copy 0 and uniform weights)
     * @param momentum the step-wise EM momentum (off: each step's own grafted gradient)
     */
    public record Steering(boolean weighting, boolean momentum) {
        /** DiffHammer's. */
        public static final Steering OFFICIAL = new Steering(true, true);

        /** Neither: APGD on the grafted mean gradient. */
        public static final Steering PLAIN = new Steering(false, false);
    }

    /** The official restarts' losses. */
    public static final List<RestartLoss> OFFICIAL_LOSSES =
            List.of(RestartLoss.CW, RestartLoss.CE, RestartLoss.DLR);

    public DiffHammer {
        if (iterations < 1) {
            throw new IllegalArgumentException(
                    "diffhammer: iterations must be >= 1, found " + iterations);
        }
        if (evaluations < 1) {
            throw new IllegalArgumentException(
                    "attack.evaluations must be >= 1 for diffhammer, found " + evaluations);
        }
        losses = List.copyOf(losses);
        if (losses.isEmpty()) {
            throw new IllegalArgumentException("diffhammer needs at least one restart");
        }
        Objects.requireNonNull(grafting, "grafting");
        Objects.requireNonNull(steering, "steering");
        threat.requireImageBall("diffhammer");
    }

    /** The official attack: 3 restarts (CW, CE, DLR) of 50 iterations, N copies, threshold 0.5. */
    public static DiffHammer official(
            ThreatModel threat, int evaluations, GradientGrafting.States grafting) {
        return new DiffHammer(
                threat, 50, evaluations, OFFICIAL_LOSSES, grafting, Steering.OFFICIAL, 0.5);
    }

    @Override
    public String name() {
        return "diffhammer";
    }

    @Override
    public DiffHammer withEps(double eps) {
        return new DiffHammer(
                threat.withEps(eps),
                iterations,
                evaluations,
                losses,
                grafting,
                steering,
                restartThreshold);
    }

    @Override
    public DiffHammer withIterations(int n) {
        return new DiffHammer(threat, n, evaluations, losses, grafting, steering, restartThreshold);
    }

    /** The same attack with other restarts' losses (one restart per loss). */
    public DiffHammer withLosses(List<RestartLoss> l) {
        return new DiffHammer(
                threat, iterations, evaluations, l, grafting, steering, restartThreshold);
    }

    /** The same attack with other steering. */
    public DiffHammer withSteering(Steering s) {
        return new DiffHammer(
                threat, iterations, evaluations, losses, grafting, s, restartThreshold);
    }

    @Override
    public void requireClassCount(int classes) {
        Losses.requireClasses(name(), classes, 2, "a wrong class to move to");
        if (losses.contains(RestartLoss.DLR)) {
            Losses.requireClasses(name(), classes, 3, "the DLR loss of its last restart");
        }
    }

    /**
     * The class count, a defended model (grafting replays its purification draws) and one EOT copy
     * (its copies are attack.evaluations), each refused by name.
     */
    @Override
    public void requireCompatible(TargetModel model) {
        requireClassCount(model.classes());
        defended(model);
    }

    private DefendedModel defended(TargetModel model) {
        if (!(model instanceof DefendedModel d)) {
            throw new IllegalArgumentException(
                    "diffhammer replays purification draws, so it attacks a defended model, not "
                            + model.describe());
        }
        if (d.eot() != 1) {
            throw new IllegalArgumentException(
                    "attack.eot must be 1 for diffhammer (its copies per iteration are"
                            + " attack.evaluations), found "
                            + d.eot());
        }
        return d;
    }

    /** N: each step is steered by N copies, whatever the model's EOT (which must be 1). */
    @Override
    public int copiesPerStep(int eot) {
        return evaluations;
    }

    @Override
    public boolean recordsCheckpoints() {
        return true;
    }

    @Override
    public long checkpointIterations() {
        return (long) iterations * losses.size();
    }

    /** What an evaluation of N copies gave, per row: the schedule's loss and the next direction. */
    private record Evaluated(
            Tally.Seen seen, float[] maxLoss, float[] meanLoss, int[] best, NDArray upstream) {}

    /** The rows of one restart. */
    private record RunRows(
            NDArray x, NDArray labels, Objective objective, int[] idx, long[] ids, int run) {}

    @Override
    public AttackResult run(
            TargetModel target, NDArray x, NDArray labels, long[] sampleIds, AttackContext ctx) {
        requireClassCount(target.classes());
        DefendedModel model = defended(target);
        GradientGrafting graft = GradientGrafting.of(model.mode(), grafting);
        int b = (int) x.getShape().get(0);
        if (b != sampleIds.length) {
            throw new IllegalArgumentException(b + " images but " + sampleIds.length + " ids");
        }
        // its evaluations are the defence's own copies (copiesWithBpda), never a surrogate's
        Tally tally = new Tally(name(), b, ctx, false);
        long[] lab = Tensors.hostLong(labels);
        double[] topShare = new double[b];
        int per = (int) x.getShape().slice(1).size();
        float[] xHost = Tensors.host(x);
        float[] out = xHost.clone();
        try (NDManager run = NDManager.subManagerOf(x)) {
            run.tempAttachAll(x, labels);
            for (int r = 0; r < losses.size(); r++) {
                boolean[] todo = new boolean[b];
                for (int s = 0; s < b; s++) {
                    todo[s] = r == 0 || (!tally.success[s] && topShare[s] <= restartThreshold);
                }
                int[] idx = Tensors.indicesOf(todo);
                if (idx.length == 0) {
                    break;
                }
                try (NDManager sub = run.newSubManager()) {
                    NDArray xs = Tensors.rows(x, idx, sub);
                    NDArray ls = HostTensors.create(sub, Tensors.select(lab, idx));
                    RunRows rows =
                            new RunRows(
                                    xs,
                                    ls,
                                    losses.get(r).objective(),
                                    idx,
                                    Tensors.select(sampleIds, idx),
                                    r);
                    boolean[] improved = new boolean[idx.length];
                    float[] returned =
                            restart(model, graft, tally, lab, topShare, ctx, rows, improved);
                    for (int i = 0; i < idx.length; i++) {
                        if (improved[i]) {
                            System.arraycopy(returned, i * per, out, idx[i] * per, per);
                        }
                    }
                }
            }
            NDArray adv = HostTensors.create(run, out, x.getShape());
            double[] dist = threat.check(xHost, out, b, name());
            return new AttackResult(run.ret(adv), tally.traces(), dist, tally.checkpoints(out));
        }
    }

    /** Evaluates N copies of rows' iterates xe at a draw and weighs them. */
    private Evaluated evaluate(
            DefendedModel model,
            Tally tally,
            long[] lab,
            double[] topShare,
            RunRows rows,
            NDArray xe,
            long draw,
            NDManager keep) {
        int n = rows.idx().length;
        DefendedModel.Copies c =
                model.copiesWithBpda(
                        xe,
                        rows.labels(),
                        rows.ids(),
                        rows.objective(),
                        Purpose.PURIFY,
                        draw,
                        evaluations);
        // the copies count as forward evaluations (a purification each; their BPDA gradient is
        // the classifier's backward only), each grafted step as one gradient evaluation
        Tally.Seen seen = tally.observe(rows.idx(), c.logits(), lab, false);
        for (int r = 0; r < n; r++) {
            topShare[rows.idx()[r]] = Math.max(topShare[rows.idx()[r]], 1 - seen.miss()[r]);
        }
        float[] loss = Tensors.host(c.loss());
        float[] g = Tensors.host(c.purifiedGradient());
        int d = g.length / (n * evaluations);
        float[] maxLoss = new float[n];
        float[] meanLoss = new float[n];
        int[] best = new int[n];
        float[] up = new float[n * d];
        for (int r = 0; r < n; r++) {
            float[] l = Arrays.copyOfRange(loss, r * evaluations, (r + 1) * evaluations);
            float[][] grads = new float[evaluations][];
            maxLoss[r] = Float.NEGATIVE_INFINITY;
            double sum = 0;
            for (int p = 0; p < evaluations; p++) {
                int at = (r * evaluations + p) * d;
                grads[p] = Arrays.copyOfRange(g, at, at + d);
                maxLoss[r] = Math.max(maxLoss[r], l[p]);
                sum += l[p];
            }
            meanLoss[r] = (float) (sum / evaluations);
            if (steering.weighting()) {
                EmWeighting.Result w = EmWeighting.weigh(l, grads, threat.eps(), threat.norm());
                best[r] = w.best();
                System.arraycopy(w.upstream(), 0, up, r * d, d);
            } else {
                for (int i = 0; i < d; i++) {
                    double s = 0;
                    for (int p = 0; p < evaluations; p++) {
                        s += grads[p][i];
                    }
                    up[r * d + i] = (float) (s / evaluations);
                }
            }
        }
        c.loss().close();
        c.logits().close();
        c.purifiedGradient().close();
        NDArray upstream = HostTensors.create(keep, up, xe.getShape());
        return new Evaluated(seen, maxLoss, meanLoss, best, upstream);
    }

    /** One restart on its rows; returns its best iterates on the host and marks improved rows. */
    private float[] restart(
            DefendedModel model,
            GradientGrafting graft,
            Tally tally,
            long[] lab,
            double[] topShare,
            AttackContext ctx,
            RunRows rows,
            boolean[] improved) {
        NDArray x = rows.x();
        int[] idx = rows.idx();
        int n = idx.length;
        Shape shape = x.getShape();
        NDManager m = x.getManager();
        float eps = (float) threat.eps();
        long base = 1 + rows.run() * (iterations + 1L);

        NDArray xAdv =
                threat.project(
                        x, x.add(Apgd.randomStart(threat, m, shape, rows.ids(), ctx, rows.run())));
        // The direction's source for the current iterate and for the best one: the draw, q* and
        // the weighted upstream gradient of the evaluation the step will graft.
        long[] draw = new long[n];
        int[] copy;
        NDArray upstream;
        float[] lossBest;
        NDArray xBest = xAdv.duplicate();
        NDArray xReturned = xAdv.duplicate();
        // the clean image's evaluation gives the first step's direction and stands for the start
        Evaluated first = evaluate(model, tally, lab, topShare, rows, x, ctx.draw(base), m);
        tally.succeedWhere(idx, first.seen(), 0);
        lossBest = first.maxLoss().clone();
        boolean[] better0 = tally.improve(idx, first.seen(), first.meanLoss(), xAdv);
        tally.reached(idx, (long) rows.run() * iterations);
        for (int r = 0; r < n; r++) {
            improved[r] |= better0[r];
        }
        Arrays.fill(draw, ctx.draw(base));
        copy = first.best();
        upstream = first.upstream();
        long[] drawBest = draw.clone();
        int[] copyBest = copy.clone();
        NDArray upstreamBest = upstream.duplicate();
        float[] step = new float[n];
        Arrays.fill(step, 2 * eps);
        NDArray xAdvOld = xAdv.duplicate();
        NDArray previous = null;
        ApgdSchedule schedule = new ApgdSchedule(iterations, n, 0.75, lossBest);

        for (int i = 0; i < iterations; i++) {
            NDArray next;
            NDArray direction;
            try (NDManager it = m.newSubManager()) {
                it.tempAttachAll(x, xAdv, xAdvOld, upstream);
                if (previous != null) {
                    it.tempAttachAll(previous);
                }
                NDArray g =
                        model.grafted(
                                xAdv, rows.ids(), Purpose.PURIFY, draw, copy, upstream, graft);
                tally.zeroGradients(idx, g);
                for (int s : idx) {
                    tally.gradients[s]++;
                }
                if (steering.momentum() && previous != null) {
                    // t = i + 1: the first step (t = 1) takes its own gradient
                    double v = Math.pow(i + 1, -0.5);
                    g = g.mul(v).add(previous.mul(1 - v));
                }
                NDArray grad2 = xAdv.sub(xAdvOld);
                float a = i > 0 ? 0.75f : 1.0f;
                NDArray stepT = Tensors.perRow(HostTensors.create(it, step), xAdv);
                NDArray dir = threat.norm() == Norm.LINF ? g.sign() : Norm.L2.normalize(g);
                NDArray z = threat.project(x, xAdv.add(stepT.mul(dir)));
                next = threat.project(x, xAdv.add(z.sub(xAdv).mul(a)).add(grad2.mul(1 - a)));
                next = it.ret(next);
                direction = it.ret(g);
            }
            if (previous != null) {
                previous.close();
            }
            previous = direction;
            xAdvOld.close();
            xAdvOld = xAdv;
            xAdv = next;

            boolean[] lossImproved = new boolean[n];
            float[] y1;
            NDArray newReturned;
            NDArray newBest;
            NDArray newUpBest;
            long evalDraw = ctx.draw(base + 1 + i);
            Evaluated ev;
            try (NDManager it = m.newSubManager()) {
                it.tempAttachAll(xAdv, xBest, xReturned, upstreamBest);
                ev = evaluate(model, tally, lab, topShare, rows, xAdv, evalDraw, m);
                tally.succeedWhere(idx, ev.seen(), i + 1);
                y1 = ev.maxLoss();
                for (int r = 0; r < n; r++) {
                    lossImproved[r] = y1[r] > lossBest[r];
                }
                boolean[] better = tally.improve(idx, ev.seen(), ev.meanLoss(), xAdv);
                tally.reached(idx, (long) rows.run() * iterations + i + 1);
                for (int r = 0; r < n; r++) {
                    improved[r] |= better[r];
                }
                newReturned = it.ret(Tensors.select(better, xAdv, xReturned, it));
                newBest = it.ret(Tensors.select(lossImproved, xAdv, xBest, it));
                newUpBest = it.ret(Tensors.select(lossImproved, ev.upstream(), upstreamBest, it));
            }
            xReturned.close();
            xBest.close();
            upstreamBest.close();
            upstream.close();
            xReturned = newReturned;
            xBest = newBest;
            upstreamBest = newUpBest;
            upstream = ev.upstream();
            Arrays.fill(draw, evalDraw);
            copy = ev.best();
            for (int r = 0; r < n; r++) {
                if (lossImproved[r]) {
                    lossBest[r] = y1[r];
                    drawBest[r] = evalDraw;
                    copyBest[r] = copy[r];
                }
            }
            boolean[] reduce = schedule.after(i, y1, lossBest);
            if (reduce != null && Apgd.any(reduce)) {
                NDArray restartX;
                NDArray restartUp;
                try (NDManager it = m.newSubManager()) {
                    it.tempAttachAll(xAdv, xBest, upstream, upstreamBest);
                    restartX = it.ret(Tensors.select(reduce, xBest, xAdv, it));
                    restartUp = it.ret(Tensors.select(reduce, upstreamBest, upstream, it));
                }
                xAdv.close();
                upstream.close();
                xAdv = restartX;
                upstream = restartUp;
                for (int r = 0; r < n; r++) {
                    if (reduce[r]) {
                        step[r] /= 2f;
                        draw[r] = drawBest[r];
                        copy[r] = copyBest[r];
                    }
                }
            }
        }
        float[] res = Tensors.host(xReturned);
        for (NDArray arr :
                new NDArray[] {xAdv, xAdvOld, xBest, xReturned, upstream, upstreamBest}) {
            arr.close();
        }
        if (previous != null) {
            previous.close();
        }
        return res;
    }
}
