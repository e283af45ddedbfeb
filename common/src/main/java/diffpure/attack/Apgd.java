package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.DeviationLoss;
import diffpure.gradient.Objective;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import diffpure.torch.HostTensors;
import java.util.Arrays;

/**
 * Auto-PGD (Croce &amp; Hein, "Reliable evaluation of adversarial robustness with an ensemble of
 * diverse parameter-free attacks", ICML 2020), following the AutoAttack reference
 * (fra31/auto-attack, apgd): random start, step 2 eps, momentum 0.75 (none on the first step),
 * checkpoints every k iterations with k starting at 0.22 n and shrinking by 0.03 n down to 0.06 n,
 * step halving where fewer than 75% of the steps since the last checkpoint increased the loss or
 * where the step was not halved last time and the best loss did not improve, restarting from the
 * best point when halving; losses CE, DLR or targeted DLR on the 9 most likely wrong classes.
 *
 * <p>Success: {@link #run} counts a sample as broken once an evaluation of an iterate meets the
 * context's success rule over all its EOT copies (misclassified; for APGD-T too: it is a robustness
 * attack whose targets are only a means), and later restarts and targets skip it; {@link
 * #runTarget} is a targeted attack and its rule asks for the target class instead. Either way the
 * returned image is the best evaluated iterate of all runs: fewest copies missing the goal, ties by
 * the higher loss.
 *
 * <p>Deviations, all deliberate: every sample is attacked (the reference skips samples
 * misclassified by one clean evaluation; here the clean votes measure that), a sample the attack
 * does not break gets its best point instead of its clean image, which is what a randomized defence
 * should be voted on, and success on a randomized model needs more than AutoAttack's one draw.
 *
 * @param loss the loss maximised
 * @param threat the ball
 * @param iterations iterations per run (100 in AutoAttack)
 * @param restarts random restarts (runs on the samples not yet broken)
 * @param targetClasses for the targeted loss, how many of the most likely wrong classes are tried
 *     (9)
 * @param rho the oscillation threshold of the step-size rule (0.75)
 * @param deviation DiffAttack's deviated-reconstruction term added to the loss through the model
 *     ({@link TargetModel#withDeviation}); {@link DeviationLoss#OFF} for APGD itself
 */
public record Apgd(
        ApgdLoss loss,
        ThreatModel threat,
        int iterations,
        int restarts,
        int targetClasses,
        double rho,
        DeviationLoss deviation)
        implements Attack {

    /** The loss APGD maximises. */
    public enum ApgdLoss {
        /** Cross-entropy: "apgd-ce". */
        CE("apgd-ce"),
        /** Difference of logits ratio: "apgd-dlr". */
        DLR("apgd-dlr"),
        /** Targeted DLR over the most likely wrong classes: "apgd-t". */
        TARGETED_DLR("apgd-t");

        private final String attackName;

        ApgdLoss(String attackName) {
            this.attackName = attackName;
        }

        /** The attack's name in AutoAttack. */
        public String attackName() {
            return attackName;
        }
    }

    public Apgd {
        if (iterations < 1) {
            throw new IllegalArgumentException(
                    loss.attackName() + ": iterations must be >= 1, found " + iterations);
        }
        if (restarts < 1) {
            throw new IllegalArgumentException(
                    loss.attackName() + ": restarts must be >= 1, found " + restarts);
        }
        if (targetClasses < 1) {
            throw new IllegalArgumentException(
                    loss.attackName() + ": target classes must be >= 1, found " + targetClasses);
        }
        threat.requireImageBall(loss.attackName());
        java.util.Objects.requireNonNull(deviation, "deviation");
    }

    /** APGD without a deviation term. */
    public Apgd(
            ApgdLoss loss,
            ThreatModel threat,
            int iterations,
            int restarts,
            int targetClasses,
            double rho) {
        this(loss, threat, iterations, restarts, targetClasses, rho, DeviationLoss.OFF);
    }

    /** APGD-CE as in AutoAttack standard: 100 iterations, 1 restart. */
    public static Apgd ce(ThreatModel threat) {
        return new Apgd(ApgdLoss.CE, threat, 100, 1, 9, 0.75);
    }

    /** APGD-DLR: 100 iterations, 1 restart. */
    public static Apgd dlr(ThreatModel threat) {
        return new Apgd(ApgdLoss.DLR, threat, 100, 1, 9, 0.75);
    }

    /** APGD-T as in AutoAttack standard: 100 iterations, 1 restart per target, 9 target classes. */
    public static Apgd targeted(ThreatModel threat) {
        return new Apgd(ApgdLoss.TARGETED_DLR, threat, 100, 1, 9, 0.75);
    }

    /** apgd-ce, apgd-dlr, apgd-t; with a deviation term diffattack-ce, -dlr, -t. */
    @Override
    public String name() {
        return deviation.isOff()
                ? loss.attackName()
                : loss.attackName().replace("apgd-", "diffattack-");
    }

    @Override
    public Apgd withEps(double eps) {
        return new Apgd(
                loss, threat.withEps(eps), iterations, restarts, targetClasses, rho, deviation);
    }

    @Override
    public Apgd withIterations(int n) {
        return new Apgd(loss, threat, n, restarts, targetClasses, rho, deviation);
    }

    /** The same attack with another number of restarts. */
    public Apgd withRestarts(int n) {
        return new Apgd(loss, threat, iterations, n, targetClasses, rho, deviation);
    }

    /** The same attack with another number of target classes. */
    public Apgd withTargetClasses(int n) {
        return new Apgd(loss, threat, iterations, restarts, n, rho, deviation);
    }

    /**
     * The same schedule maximising its loss plus DiffAttack's deviation term ({@link
     * DeviationLoss}): DiffAttack's attack as DiffBreak runs it. With the term off, APGD itself.
     */
    public Apgd withDeviation(DeviationLoss d) {
        return new Apgd(loss, threat, iterations, restarts, targetClasses, rho, d);
    }

    /**
     * The class count, and with a deviation term a model that can carry it (a defended model whose
     * gradient mode walks the chain back), each refused by name before any work.
     */
    @Override
    public void requireCompatible(TargetModel model) {
        checkClasses(model.classes());
        model.withDeviation(deviation);
    }

    /**
     * Fails, naming the attack and the class count, when the loss cannot be used with this many
     * classes.
     */
    public void checkClasses(int classes) {
        switch (loss) {
            case CE -> Losses.requireClasses(name(), classes, 2, "a wrong class to move to");
            case DLR -> Losses.requireClasses(name(), classes, 3, "the DLR loss");
            case TARGETED_DLR -> {
                Losses.requireClasses(name(), classes, 4, "the targeted DLR loss");
                Losses.requireClasses(
                        name(), classes, targetClasses + 1, targetClasses + " target classes");
            }
            default -> throw new AssertionError(loss);
        }
    }

    @Override
    public void requireClassCount(int classes) {
        checkClasses(classes);
    }

    @Override
    public boolean recordsCheckpoints() {
        return true;
    }

    /** Iterations of every run one after another: restarts, and for APGD-T each target's. */
    @Override
    public long checkpointIterations() {
        return (long) iterations * restarts * (loss == ApgdLoss.TARGETED_DLR ? targetClasses : 1);
    }

    @Override
    public AttackResult run(
            TargetModel model, NDArray x, NDArray labels, long[] sampleIds, AttackContext context) {
        checkClasses(model.classes());
        model = model.withDeviation(deviation);
        int b = checkBatch(x, sampleIds);
        if (loss != ApgdLoss.TARGETED_DLR) {
            return runSchedule(
                    model, x, labels, sampleIds, context, new int[] {0}, b, Goal.MISCLASSIFY);
        }
        int[] ranks = new int[targetClasses];
        for (int j = 0; j < targetClasses; j++) {
            ranks[j] = j + 2;
        }
        return runSchedule(model, x, labels, sampleIds, context, ranks, b, Goal.MISCLASSIFY);
    }

    /**
     * Targeted APGD towards one target on every sample (not only the ones still robust): the class
     * ranked {@code rank} by the mean clean logits (2 = the most likely wrong class when the sample
     * is classified correctly), as one of the reference's target loops. Unlike {@link #run},
     * success here means that an evaluation predicted the target (by the context's success rule; a
     * wrong class other than the target is not enough): the returned image is the best iterate by
     * copies at the target, and the trace's {@code success} and first success iteration refer to
     * reaching the target.
     */
    public AttackResult runTarget(
            TargetModel model,
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            AttackContext context,
            int rank) {
        if (loss != ApgdLoss.TARGETED_DLR) {
            throw new IllegalArgumentException(name() + " has no targets; use Apgd.targeted");
        }
        checkClasses(model.classes());
        model = model.withDeviation(deviation);
        if (rank < 2 || rank > model.classes()) {
            throw new IllegalArgumentException(
                    name()
                            + ": target rank must be in [2, "
                            + model.classes()
                            + "], found "
                            + rank);
        }
        return runSchedule(
                model,
                x,
                labels,
                sampleIds,
                context,
                new int[] {rank},
                checkBatch(x, sampleIds),
                Goal.REACH_TARGET);
    }

    /**
     * The target class of each row for a rank, from the mean clean logits: int64[B] on the host.
     */
    public static long[] targetsOfRank(float[] meanLogits, int classes, int rank) {
        int b = meanLogits.length / classes;
        long[] t = new long[b];
        Integer[] order = new Integer[classes];
        for (int s = 0; s < b; s++) {
            final int row = s;
            for (int c = 0; c < classes; c++) {
                order[c] = c;
            }
            // Descending by logit, ties by class index, so the ranking is deterministic.
            Arrays.sort(
                    order,
                    (p, q) -> {
                        int cmp =
                                Float.compare(
                                        meanLogits[row * classes + q],
                                        meanLogits[row * classes + p]);
                        return cmp != 0 ? cmp : Integer.compare(p, q);
                    });
            t[s] = order[rank - 1];
        }
        return t;
    }

    private static int checkBatch(NDArray x, long[] ids) {
        int b = (int) x.getShape().get(0);
        if (b != ids.length) {
            throw new IllegalArgumentException(b + " images but " + ids.length + " sample ids");
        }
        return b;
    }

    /** When a run counts a sample as broken. */
    private enum Goal {
        /** Any wrong class (AutoAttack's criterion). */
        MISCLASSIFY,
        /** The run's target class. */
        REACH_TARGET
    }

    private AttackResult runSchedule(
            TargetModel model,
            NDArray x,
            NDArray labels,
            long[] ids,
            AttackContext ctx,
            int[] ranks,
            int b,
            Goal goal) {
        Tally tally = new Tally(name(), b, ctx, model.judgesOnSurrogate());
        long[] lab = Tensors.hostLong(labels);
        BatchState batch = new BatchState(model, lab, tally, ctx);
        int per = (int) x.getShape().slice(1).size();
        int k = model.classes();
        float[] xHost = Tensors.host(x);
        float[] out = xHost.clone();
        long[][] targets = null;
        try (NDManager run = NDManager.subManagerOf(x)) {
            run.tempAttachAll(x, labels);
            if (loss == ApgdLoss.TARGETED_DLR) {
                // One gradient-free evaluation of the clean images ranks the classes (averaged over
                // the EOT copies); it evaluates no attack iterate.
                int[] all = Tensors.all(b);
                NDArray logits = model.logits(x, ids, Purpose.PURIFY, ctx.draw(0), model.eot());
                tally.ranking(all, logits);
                float[] mean = Tensors.host(logits.mean(new int[] {1}));
                targets = new long[ranks.length][];
                for (int j = 0; j < ranks.length; j++) {
                    targets[j] = targetsOfRank(mean, k, ranks[j]);
                }
            }
            long drawsPerRun = iterations + 1L;
            int runIndex = 0;
            for (int j = 0; j < ranks.length; j++) {
                for (int r = 0; r < restarts; r++, runIndex++) {
                    // Later runs skip the samples an evaluation already broke by the success rule
                    // (over all its EOT copies), never on one fooled draw.
                    boolean[] todo = new boolean[b];
                    for (int s = 0; s < b; s++) {
                        todo[s] = !tally.success[s];
                    }
                    int[] idx = Tensors.indicesOf(todo);
                    if (idx.length == 0) {
                        break;
                    }
                    long[] subIds = Tensors.select(ids, idx);
                    long[] subLab = Tensors.select(lab, idx);
                    try (NDManager sub = run.newSubManager()) {
                        NDArray xs = Tensors.rows(x, idx, sub);
                        NDArray ls;
                        Objective obj;
                        if (loss == ApgdLoss.TARGETED_DLR) {
                            ls = Losses.encode(sub, subLab, Tensors.select(targets[j], idx), k);
                            obj = Losses.targetedDlr();
                        } else {
                            ls = HostTensors.create(sub, subLab);
                            obj = loss == ApgdLoss.CE ? Losses.crossEntropy() : Losses.dlr();
                        }
                        long base = 1 + runIndex * drawsPerRun;
                        long[] goals = goal == Goal.REACH_TARGET ? targets[j] : null;
                        Single res =
                                single(
                                        batch,
                                        new RunRows(
                                                xs, ls, obj, idx, subIds, goals, runIndex, base));
                        for (int i = 0; i < idx.length; i++) {
                            if (res.improved[i]) {
                                System.arraycopy(res.returned, i * per, out, idx[i] * per, per);
                            }
                        }
                    }
                }
            }
            NDArray adv = HostTensors.create(run, out, x.getShape());
            double[] dist = threat.check(xHost, out, b, name());
            return new AttackResult(run.ret(adv), tally.traces(), dist, tally.checkpoints(out));
        }
    }

    /**
     * Result of one APGD run on a subset, on the host: the run's best iterate by the tally's
     * criterion, and whether it beat every earlier run's (only then is it returned).
     */
    private record Single(float[] returned, boolean[] improved) {}

    /**
     * The batch an attack call works on, shared by its runs.
     *
     * @param labels the batch's true labels, on the host
     * @param tally the batch's per-sample bookkeeping
     */
    private record BatchState(TargetModel model, long[] labels, Tally tally, AttackContext ctx) {}

    /**
     * One run's rows: the samples not yet broken, and where the run's draws start.
     *
     * @param x the rows' clean images
     * @param labels the labels the objective takes (encoded with the targets for APGD-T)
     * @param idx the rows' indices into the batch
     * @param ids the rows' sample ids
     * @param goals target class per batch index when the run must reach a target, else null
     * @param initDraw the draw index of the random start
     * @param drawBase the draw index of the run's first evaluation
     */
    private record RunRows(
            NDArray x,
            NDArray labels,
            Objective objective,
            int[] idx,
            long[] ids,
            long[] goals,
            int initDraw,
            long drawBase) {}

    private Single single(BatchState batch, RunRows rows) {
        TargetModel model = batch.model();
        Tally tally = batch.tally();
        AttackContext ctx = batch.ctx();
        long[] lab = batch.labels();
        NDArray x = rows.x();
        NDArray labels = rows.labels();
        Objective obj = rows.objective();
        int[] idx = rows.idx();
        long[] ids = rows.ids();
        long[] goals = rows.goals();
        long drawBase = rows.drawBase();
        int n = idx.length;
        Shape shape = x.getShape();
        NDManager m = x.getManager();
        float eps = (float) threat.eps();

        NDArray xAdv =
                threat.project(x, x.add(randomStart(threat, m, shape, ids, ctx, rows.initDraw())));
        NDArray xBest = xAdv.duplicate();
        // The image this run would return: its best iterate by the tally's criterion.
        NDArray xReturned = xAdv.duplicate();
        boolean[] improved = new boolean[n];
        float[] lossBest;
        NDArray grad;
        try (NDManager it = m.newSubManager()) {
            it.tempAttachAll(xAdv, labels);
            TargetModel.Evaluation ev =
                    model.lossAndGradient(
                            xAdv, labels, ids, obj, Purpose.PURIFY, ctx.draw(drawBase));
            Tally.Seen seen = tally.observe(idx, ev.logits(), lab, goals, true);
            tally.zeroGradients(idx, ev.gradient());
            tally.succeedWhere(idx, seen, 0);
            lossBest = Tensors.host(ev.loss());
            boolean[] better = tally.improve(idx, seen, lossBest, xAdv);
            // Runs count one after another; a run's index is its random start's draw index.
            tally.reached(idx, (long) rows.initDraw() * iterations);
            for (int r = 0; r < n; r++) {
                improved[r] |= better[r];
            }
            grad = it.ret(ev.gradient());
        }
        NDArray gradBest = grad.duplicate();
        float[] step = new float[n];
        Arrays.fill(step, 2 * eps);
        NDArray xAdvOld = xAdv.duplicate();
        ApgdSchedule schedule = new ApgdSchedule(iterations, n, rho, lossBest);

        for (int i = 0; i < iterations; i++) {
            NDArray next;
            try (NDManager it = m.newSubManager()) {
                it.tempAttachAll(x, xAdv, xAdvOld, grad);
                NDArray grad2 = xAdv.sub(xAdvOld);
                float a = i > 0 ? 0.75f : 1.0f;
                NDArray stepT = Tensors.perRow(HostTensors.create(it, step), xAdv);
                NDArray dir = threat.norm() == Norm.LINF ? grad.sign() : Norm.L2.normalize(grad);
                NDArray z = threat.project(x, xAdv.add(stepT.mul(dir)));
                next = threat.project(x, xAdv.add(z.sub(xAdv).mul(a)).add(grad2.mul(1 - a)));
                next = it.ret(next);
            }
            xAdvOld.close();
            xAdvOld = xAdv;
            xAdv = next;

            float[] y1;
            boolean[] lossImproved = new boolean[n];
            NDArray newReturned;
            NDArray newBest;
            NDArray newGradBest;
            NDArray newGrad;
            try (NDManager it = m.newSubManager()) {
                it.tempAttachAll(xAdv, labels, xBest, xReturned, gradBest);
                TargetModel.Evaluation ev =
                        model.lossAndGradient(
                                xAdv, labels, ids, obj, Purpose.PURIFY, ctx.draw(drawBase + 1 + i));
                Tally.Seen seen = tally.observe(idx, ev.logits(), lab, goals, true);
                tally.zeroGradients(idx, ev.gradient());
                tally.succeedWhere(idx, seen, i + 1);
                y1 = Tensors.host(ev.loss());
                for (int r = 0; r < n; r++) {
                    lossImproved[r] = y1[r] > lossBest[r];
                }
                boolean[] better = tally.improve(idx, seen, y1, xAdv);
                tally.reached(idx, (long) rows.initDraw() * iterations + i + 1);
                for (int r = 0; r < n; r++) {
                    improved[r] |= better[r];
                }
                newReturned = it.ret(Tensors.select(better, xAdv, xReturned, it));
                newBest = it.ret(Tensors.select(lossImproved, xAdv, xBest, it));
                newGradBest = it.ret(Tensors.select(lossImproved, ev.gradient(), gradBest, it));
                newGrad = it.ret(ev.gradient());
            }
            // Old arrays are closed only after the scope has handed its borrowed arrays back.
            xReturned.close();
            xBest.close();
            gradBest.close();
            grad.close();
            xReturned = newReturned;
            xBest = newBest;
            gradBest = newGradBest;
            grad = newGrad;
            for (int r = 0; r < n; r++) {
                if (lossImproved[r]) {
                    lossBest[r] = y1[r];
                }
            }
            boolean[] reduce = schedule.after(i, y1, lossBest);
            if (reduce != null && any(reduce)) {
                for (int r = 0; r < n; r++) {
                    if (reduce[r]) {
                        step[r] /= 2f;
                    }
                }
                NDArray restartX;
                NDArray restartG;
                try (NDManager it = m.newSubManager()) {
                    it.tempAttachAll(xAdv, xBest, grad, gradBest);
                    restartX = it.ret(Tensors.select(reduce, xBest, xAdv, it));
                    restartG = it.ret(Tensors.select(reduce, gradBest, grad, it));
                }
                xAdv.close();
                grad.close();
                xAdv = restartX;
                grad = restartG;
            }
        }
        Single res = new Single(Tensors.host(xReturned), improved);
        for (NDArray arr : new NDArray[] {xAdv, xAdvOld, xBest, xReturned, grad, gradBest}) {
            arr.close();
        }
        return res;
    }

    /** Whether any row is marked. */
    static boolean any(boolean[] mask) {
        for (boolean v : mask) {
            if (v) {
                return true;
            }
        }
        return false;
    }

    /**
     * APGD's random start: per row a uniform draw in the Linf ball scaled to touch its surface, or
     * a normal draw on the L2 sphere, from keys (run seed, id, ATTACK_INIT, draw).
     */
    static NDArray randomStart(
            ThreatModel threat, NDManager m, Shape shape, long[] ids, AttackContext ctx, int draw) {
        int per = (int) shape.slice(1).size();
        float[] t = new float[ids.length * per];
        double eps = threat.eps();
        for (int s = 0; s < ids.length; s++) {
            double norm = 0;
            if (threat.norm() == Norm.LINF) {
                double[] u = AttackNoise.uniforms(ctx, ids[s], Purpose.ATTACK_INIT, draw, 0, per);
                for (int i = 0; i < per; i++) {
                    t[s * per + i] = (float) (2 * u[i] - 1);
                    norm = Math.max(norm, Math.abs(t[s * per + i]));
                }
            } else {
                float[] z = AttackNoise.normals(ctx, ids[s], Purpose.ATTACK_INIT, draw, 0, per);
                System.arraycopy(z, 0, t, s * per, per);
                for (float v : z) {
                    norm += (double) v * v;
                }
                norm = Math.sqrt(norm);
            }
            for (int i = 0; i < per; i++) {
                t[s * per + i] = (float) (eps * t[s * per + i] / (norm + 1e-12));
            }
        }
        return HostTensors.create(m, t, shape);
    }
}
