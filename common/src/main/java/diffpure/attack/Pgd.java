package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import diffpure.torch.HostTensors;
import java.util.List;

/**
 * Projected gradient descent on the cross-entropy with EOT gradients (the EOT average happens
 * inside the {@link TargetModel}). Every iterate is evaluated with all EOT copies (the last one by
 * a gradient-free evaluation after the final step) and the best is returned: fewest correctly
 * classified copies, ties by the higher mean cross-entropy. (Lee &amp; Kim's and the reference
 * harness's PGD-EOT return the last iterate; on a randomized defence the last iterate can be a
 * worse point than an earlier one.) A sample counts as broken when an evaluation met the context's
 * success rule.
 *
 * @param name name in result rows
 * @param threat the ball
 * @param iterations gradient steps
 * @param step step length (absolute, or a fraction of eps, see stepScale)
 * @param stepScale how {@code step} is read
 * @param rule the step direction
 * @param start the starting point
 * @param requiredGradientMode gradient-mode name the model must use ("" for any): "bpda" for
 *     BPDA+EOT
 */
public record Pgd(
        String name,
        ThreatModel threat,
        int iterations,
        double step,
        StepScale stepScale,
        StepRule rule,
        Start start,
        String requiredGradientMode)
        implements Attack {

    /** How the step size is given. */
    public enum StepScale {
        /** The step is an absolute length. */
        ABSOLUTE,
        /** The step is a fraction of eps (recomputed when eps changes). */
        FRACTION_OF_EPS
    }

    /** The step direction. */
    public enum StepRule {
        /** sign(gradient) (Lee &amp; Kim use it for Linf and L2 alike). */
        SIGN,
        /** gradient / ||gradient||_2 (BPDA's L2 update). */
        L2_NORMALIZED
    }

    /** Where the iteration starts. */
    public enum Start {
        /** At the clean image. */
        CLEAN,
        /**
         * At a uniform point of the Linf ball of radius eps, projected (Lee &amp; Kim's optional
         * random init).
         */
        UNIFORM
    }

    public Pgd {
        if (iterations < 0) {
            throw new IllegalArgumentException(
                    name + ": iterations must be >= 0, found " + iterations);
        }
        if (!(step > 0) || !Double.isFinite(step)) {
            throw new IllegalArgumentException(name + ": step must be > 0, found " + step);
        }
        requiredGradientMode = requiredGradientMode == null ? "" : requiredGradientMode;
        threat.requireImageBall(name);
    }

    /**
     * Lee &amp; Kim 2023's PGD-EOT: 200 iterations, sign steps of 0.007 (their code uses the sign
     * step for L2 too), no random start. Their EOT is 20: build the {@link TargetModel} with it.
     */
    public static Pgd leeKim(ThreatModel threat) {
        return new Pgd(
                "pgd-eot", threat, 200, 0.007, StepScale.ABSOLUTE, StepRule.SIGN, Start.CLEAN, "");
    }

    /** The reference harness's PGD-EOT (ref_diffpure.py): sign steps of eps/4, no random start. */
    public static Pgd signEpsOver4(ThreatModel threat, int iterations) {
        return new Pgd(
                "pgd-eot-sign",
                threat,
                iterations,
                0.25,
                StepScale.FRACTION_OF_EPS,
                StepRule.SIGN,
                Start.CLEAN,
                "");
    }

    /**
     * BPDA+EOT (DiffPure's bpda_eot): 50 sign steps of 2/255 in the Linf ball, on a {@link
     * DefendedModel} whose gradient mode is {@code bpda}; the published attack uses 15 EOT samples
     * (build the model with EOT 15).
     */
    public static Pgd bpdaEot(double eps) {
        return new Pgd(
                "bpda-eot",
                ThreatModel.linf(eps),
                50,
                2.0 / 255,
                StepScale.ABSOLUTE,
                StepRule.SIGN,
                Start.CLEAN,
                "bpda");
    }

    /** The EOT the published presets were run with: 15 for BPDA+EOT, 20 for PGD-EOT. */
    public int publishedEot() {
        return "bpda".equals(requiredGradientMode) ? 15 : 20;
    }

    /** The step length at this eps. */
    public double stepLength() {
        return stepScale == StepScale.ABSOLUTE ? step : step * threat.eps();
    }

    @Override
    public Pgd withEps(double eps) {
        return new Pgd(
                name,
                threat.withEps(eps),
                iterations,
                step,
                stepScale,
                rule,
                start,
                requiredGradientMode);
    }

    @Override
    public Pgd withIterations(int newIterations) {
        return new Pgd(
                name, threat, newIterations, step, stepScale, rule, start, requiredGradientMode);
    }

    /** The same attack with another step length (absolute). */
    public Pgd withStep(double newStep) {
        return new Pgd(
                name,
                threat,
                iterations,
                newStep,
                StepScale.ABSOLUTE,
                rule,
                start,
                requiredGradientMode);
    }

    @Override
    public void requireClassCount(int classes) {
        Losses.requireClasses(name, classes, 2, "a wrong class to move to");
    }

    @Override
    public void requireCompatible(TargetModel model) {
        requireClassCount(model.classes());
        if (!requiredGradientMode.isEmpty()) {
            if (!(model instanceof DefendedModel d)
                    || !d.mode().name().equals(requiredGradientMode)) {
                throw new IllegalArgumentException(
                        name
                                + " needs a DefendedModel with gradient mode '"
                                + requiredGradientMode
                                + "', found "
                                + model.describe());
            }
        }
    }

    @Override
    public boolean recordsCheckpoints() {
        return true;
    }

    @Override
    public AttackResult run(
            TargetModel model, NDArray x, NDArray labels, long[] sampleIds, AttackContext context) {
        requireCompatible(model);
        int b = (int) x.getShape().get(0);
        if (b != sampleIds.length) {
            throw new IllegalArgumentException(
                    name + ": " + b + " images but " + sampleIds.length + " sample ids");
        }
        context.checkpoints().requireRecordedBy(this);
        Tally tally = new Tally(name, b, context, model.judgesOnSurrogate());
        long[] lab = Tensors.hostLong(labels);
        int[] all = Tensors.all(b);
        float alpha = (float) stepLength();
        try (NDManager run = NDManager.subManagerOf(x)) {
            run.tempAttachAll(x, labels);
            NDArray xAdv =
                    start == Start.CLEAN ? x.duplicate() : uniformStart(run, x, sampleIds, context);
            NDArray best = xAdv.duplicate();
            for (int i = 0; i < iterations; i++) {
                NDArray next;
                NDArray newBest;
                try (NDManager it = run.newSubManager()) {
                    it.tempAttachAll(x, labels, xAdv, best);
                    TargetModel.Evaluation ev =
                            model.lossAndGradient(
                                    xAdv,
                                    labels,
                                    sampleIds,
                                    Losses.crossEntropy(),
                                    Purpose.PURIFY,
                                    context.draw(i));
                    Tally.Seen seen = tally.observe(all, ev.logits(), lab, true);
                    tally.zeroGradients(all, ev.gradient());
                    tally.succeedWhere(all, seen, i);
                    boolean[] better = tally.improve(all, seen, Tensors.host(ev.loss()), xAdv);
                    tally.reached(all, i);
                    newBest = it.ret(Tensors.select(better, xAdv, best, it));
                    NDArray g = ev.gradient();
                    NDArray dir = rule == StepRule.SIGN ? g.sign() : Norm.L2.normalize(g);
                    next = it.ret(threat.project(x, xAdv.add(dir.mul(alpha))));
                }
                xAdv.close();
                best.close();
                xAdv = next;
                best = newBest;
            }
            // The last step's iterate is evaluated too (gradient-free, all EOT copies), so that
            // the returned image is the best of every iterate, the last included.
            try (NDManager it = run.newSubManager()) {
                it.tempAttachAll(x, labels, xAdv, best);
                NDArray logits =
                        model.logits(
                                xAdv,
                                sampleIds,
                                Purpose.PURIFY,
                                context.draw(iterations),
                                model.eot());
                Tally.Seen seen = tally.observe(all, logits, lab, false);
                tally.succeedWhere(all, seen, iterations);
                float[] loss = Losses.meanOverCopies(Losses.crossEntropy(), logits, labels);
                boolean[] better = tally.improve(all, seen, loss, xAdv);
                tally.reached(all, iterations);
                NDArray chosen = it.ret(Tensors.select(better, xAdv, best, it));
                xAdv.close();
                best.close();
                best = chosen;
            }
            double[] dist = threat.check(x, best, name);
            List<Checkpoint> checkpoints =
                    tally.recording() ? tally.checkpoints(Tensors.host(best)) : List.of();
            return new AttackResult(run.ret(best), tally.traces(), dist, checkpoints);
        }
    }

    private NDArray uniformStart(NDManager run, NDArray x, long[] ids, AttackContext ctx) {
        int per = (int) x.getShape().slice(1).size();
        float[] t = new float[ids.length * per];
        for (int s = 0; s < ids.length; s++) {
            double[] u = AttackNoise.uniforms(ctx, ids[s], Purpose.ATTACK_INIT, 0, 0, per);
            for (int i = 0; i < per; i++) {
                t[s * per + i] = (float) ((2 * u[i] - 1) * threat.eps());
            }
        }
        return threat.project(x, x.add(HostTensors.create(run, t, x.getShape())));
    }
}
