package diffpure.jobs.evaluate;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.attack.Apgd;
import diffpure.attack.Attack;
import diffpure.attack.Attacks;
import diffpure.attack.Composition;
import diffpure.attack.DiffHammer;
import diffpure.attack.FabTargeted;
import diffpure.attack.Lf;
import diffpure.attack.Pgd;
import diffpure.attack.Square;
import diffpure.config.ExperimentConfig;
import diffpure.config.SanitySettings;
import diffpure.data.Batch;
import diffpure.data.ImageDataset;
import diffpure.data.Sample;
import diffpure.eval.StepRowCost;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientPlan;
import diffpure.gradient.Objective;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.run.TaskSpec;
import diffpure.noise.Purpose;
import diffpure.torch.Devices;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;

/**
 * The cost of an experiment before it is launched: evaluations per sample (from the attack's budget
 * and the protocol) times seconds per evaluation measured on the driver with one batch.
 */
public final class DryRun {
    private DryRun() {}

    /**
     * The estimate.
     *
     * @param samples samples planned
     * @param gradientRows purify-and-classify rows with input gradients per sample (each EOT copy
     *     one)
     * @param forwardRows purify-and-classify rows without gradients per sample (votes, clean count,
     *     gradient-free attack queries)
     * @param secondsPerGradientRow measured
     * @param secondsPerForwardRow measured
     * @param where device, threads and batch of the measurement
     * @param sanitySamples samples the gradient-masking checks use (0 when sanity.subset = 0)
     * @param sanityTasks the checks' parallel tasks (one per stage)
     * @param sanityGradientRows gradient rows the checks spend per such sample at most
     * @param sanityForwardRows forward rows the checks spend per such sample at most
     */
    public record Estimate(
            long samples,
            long gradientRows,
            long forwardRows,
            double secondsPerGradientRow,
            double secondsPerForwardRow,
            String where,
            long sanitySamples,
            int sanityTasks,
            long sanityGradientRows,
            long sanityForwardRows) {
        /** Seconds per sample on one task slot. */
        public double secondsPerSample() {
            return gradientRows * secondsPerGradientRow + forwardRows * secondsPerForwardRow;
        }

        /** Task-slot seconds of the gradient-masking checks (all their tasks). */
        public double sanitySeconds() {
            return sanitySamples
                    * (sanityGradientRows * secondsPerGradientRow
                            + sanityForwardRows * secondsPerForwardRow);
        }

        /** Task-slot seconds for the whole run, the checks included. */
        public double totalSeconds() {
            return samples * secondsPerSample() + sanitySeconds();
        }

        /**
         * Wall seconds on this many parallel slots: the checks' tasks, then the chunks. The checks'
         * slot time is shared out over min(slots, tasks) slots; their stages are unequal (Square's
         * is usually the longest), so the wait for them can be longer.
         */
        public double wallSeconds(int slots) {
            double checks = sanityTasks == 0 ? 0 : sanitySeconds() / Math.min(slots, sanityTasks);
            return checks + samples * secondsPerSample() / slots;
        }
    }

    /**
     * Rows the gradient-masking checks ({@link diffpure.eval.GradientMaskingChecks}) spend per
     * sample of their subset at most: the attack at its budget, at eps-factor x eps and at an
     * unbounded eps (the same budget), and at iteration-factor x its budget; Square with
     * sanity.square-queries where the ball is on the image; max(EOT, 1) fresh evaluations of each
     * returned image; with adjoint gradients one adjoint and one exact gradient (the cosine).
     *
     * @return {gradient rows, forward rows}
     */
    static long[] sanityRows(Attack attack, int eot, SanitySettings s, boolean adjoint) {
        Attack more =
                attack.withIterations((int) Math.ceil(attack.iterations() * s.iterationFactor()));
        boolean imageBall = attack.threat().norm().boundsImage();
        long grad = 3 * gradientRows(attack, eot) + gradientRows(more, eot);
        long fwd = 3 * forwardRows(attack, eot) + forwardRows(more, eot);
        int returned = 4;
        if (imageBall) {
            fwd +=
                    forwardRows(
                            Square.standard(attack.threat()).withIterations(s.squareQueries()),
                            eot);
            returned++;
        }
        fwd += (long) returned * Math.max(eot, 1);
        if (adjoint) {
            grad += 2L * eot;
        }
        return new long[] {grad, fwd};
    }

    /**
     * Gradient rows an attack spends per sample at most (each EOT copy counts one; attacks may
     * spend fewer when they skip broken samples): PGD and StAdv iterations x EOT; APGD (iterations
     * + 1) x EOT per run, restarts runs (APGD-T: per target); FAB-T iterations x EOT per target and
     * restart; Square none; DiffHammer one grafted row per iteration of each restart; a composition
     * the sum of its members.
     */
    static long gradientRows(Attack a, int eot) {
        if (a instanceof DiffHammer h) {
            return (long) h.losses().size() * h.iterations();
        }
        if (a instanceof Composition c) {
            return c.members().stream().mapToLong(m -> gradientRows(m, eot)).sum();
        }
        if (a instanceof Apgd p) {
            long runs =
                    (long) p.restarts()
                            * (p.loss() == Apgd.ApgdLoss.TARGETED_DLR ? p.targetClasses() : 1);
            return runs * (p.iterations() + 1L) * eot;
        }
        if (a instanceof FabTargeted f) {
            return (long) f.targetClasses() * f.restarts() * f.iterations() * eot;
        }
        if (a instanceof Square) {
            return 0;
        }
        // PGD, BPDA+EOT, StAdv, LF: one gradient evaluation per iteration.
        return (long) a.iterations() * eot;
    }

    /**
     * Gradient-free rows an attack spends per sample at most: PGD's evaluation of its last iterate
     * (EOT); APGD-T's and FAB-T's ranking of the clean image (EOT); FAB-T's check of every step and
     * of each target's nearest point (EOT each); Square's start and every query (EOT each); a
     * composition the sum of its members, plus R per candidate image when it is re-evaluated; LF's
     * fresh votes on its best iterate (EOT per iteration; its perceptual network's calls are not
     * purification rows and are not counted); DiffHammer's N copies (purified, classified, with the
     * classifier's gradient: BPDA) of the clean image and of every iterate, per restart.
     */
    static long forwardRows(Attack a, int eot) {
        if (a instanceof DiffHammer h) {
            return (long) h.losses().size() * (h.iterations() + 1L) * h.evaluations();
        }
        if (a instanceof Composition c) {
            // re-evaluated (attack.re-evaluations = R): R classifications of the clean image and
            // of each member's returned image
            return c.members().stream().mapToLong(m -> forwardRows(m, eot)).sum()
                    + (long) c.reEvaluations() * (c.members().size() + 1);
        }
        if (a instanceof Pgd) {
            return eot;
        }
        if (a instanceof Apgd p) {
            return p.loss() == Apgd.ApgdLoss.TARGETED_DLR ? eot : 0;
        }
        if (a instanceof FabTargeted f) {
            return eot + (long) f.targetClasses() * f.restarts() * (f.iterations() + 1L) * eot;
        }
        if (a instanceof Square) {
            return (a.iterations() + 1L) * eot;
        }
        if (a instanceof Lf) {
            // N fresh purifications of the best iterate per iteration (N = EOT)
            return (long) a.iterations() * Math.max(eot, 1);
        }
        return 0;
    }

    /**
     * Purify-and-classify rows one sample costs at most.
     *
     * @param gradient rows with input gradients (each EOT copy one)
     * @param attackForward the attack's gradient-free queries
     * @param defence the defence's draws: 2K votes, the votes at budget checkpoints and the clean
     *     count during the attack
     */
    public record Rows(long gradient, long attackForward, long defence) {
        /** Rows without input gradients. */
        public long forward() {
            return attackForward + defence;
        }

        /** Model step-rows, as {@link diffpure.eval.StoppingRule} counts a sample's spending. */
        public long stepRows(StepRowCost cost) {
            return cost.of(gradient, attackForward, defence);
        }
    }

    /** The rows of one sample under this config's attack and protocol (an upper bound). */
    public static Rows perSample(ExperimentConfig c) {
        Attack attack = Attacks.build(c.attack());
        int eot = c.attack().eot();
        long grad = gradientRows(attack, eot);
        long attackFwd = forwardRows(attack, eot);
        // Judged on a surrogate, the attack made no defence evaluation for the clean ones to match.
        // The clean image is evaluated as often as the attack evaluated its iterates: every row,
        // but DiffHammer's grafted rows, which evaluate nothing.
        long evaluated = attack instanceof DiffHammer ? attackFwd : grad + attackFwd;
        long during =
                BudgetLines.judgesOnSurrogate(c)
                        ? 0
                        : c.eval().cleanDuringCap() > 0
                                ? Math.min(c.eval().cleanDuringCap(), evaluated)
                                : evaluated;
        return new Rows(
                grad,
                attackFwd,
                2L * c.eval().votes()
                        + during
                        + Attacks.checkpoints(c.attack()).extraVotes(c.eval().votes()));
    }

    /** Measures on this JVM (the driver) and estimates. */
    public static Estimate measure(ExperimentConfig c, Configuration conf) {
        Preflight.check(c, conf);
        ExecutorContext ctx =
                ExecutorContext.of(
                        c, Devices.parse(c.runtime().device()), c.runtime().torchThreads(), conf);
        Device device = ctx.device();
        ImageDataset data = ctx.data();
        RunPlan plan = RunPlan.of(c, data);
        TaskSpec spec = ctx.spec(c);
        Attack attack = Attacks.build(c.attack());
        int eot = c.attack().eot();
        Rows rows = perSample(c);
        int b = Math.min(c.run().batchSamples(), data.size());
        GradientPlan gradientPlan = spec.plan();
        // one row per sample: the time of a row, whatever the run's EOT
        DefendedModel model =
                DefendedModel.of(
                        spec.purifierOn(ctx), ctx.classifier(), gradientPlan, 1, c.run().seed());
        double[] seconds;
        try (NDManager m = NDManager.newBaseManager(device)) {
            // gradient rows with diffattack's deviation term, as its gradient rows run
            seconds =
                    secondsPerRow(
                            model,
                            model.withDeviation(Attacks.deviation(c.attack())),
                            Batch.of(m, firstBatch(data, plan, b), ctx.classifier().imageShape()));
        }
        long[] sanity = sanityRows(attack, eot, c.sanity(), gradientPlan.mode().equals("adjoint"));
        return new Estimate(
                plan.samples(),
                rows.gradient(),
                rows.forward(),
                seconds[1],
                seconds[0],
                Devices.name(device)
                        + ", "
                        + c.runtime().torchThreads()
                        + " thread(s), batch "
                        + b
                        + ", gradient mode "
                        + gradientPlan.mode()
                        + (gradientPlan.mode().equals(gradientPlan.configuredMode())
                                ? ""
                                : " (" + gradientPlan.configuredMode() + ")")
                        + ", rows per gradient / forward call "
                        + rowsText(gradientPlan.gradientRows())
                        + " / "
                        + rowsText(gradientPlan.forwardRows()),
                Math.min(c.sanity().subset(), plan.samples()),
                c.sanity().subset() == 0 ? 0 : SanityTask.taskCount(c),
                sanity[0],
                sanity[1]);
    }

    /** The first b planned samples (the first partition's, its last repeated if it is smaller). */
    private static List<Sample> firstBatch(ImageDataset data, RunPlan plan, int b) {
        var first = plan.chunks().get(0).get(0).samples();
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            out.add(data.get(first.get(Math.min(i, first.size() - 1)).index()));
        }
        return out;
    }

    /**
     * Seconds per forward row and per gradient row, timed on one batch after a warm-up forward.
     *
     * @return {forward, gradient}
     */
    private static double[] secondsPerRow(
            DefendedModel model, DefendedModel gradientModel, Batch batch) {
        int b = batch.size();
        NDArray x = batch.images();
        long[] ids = batch.ids();
        model.logits(x, ids, Purpose.VOTE_CLEAN, 0, 1); // warm-up
        long t0 = System.nanoTime();
        model.logits(x, ids, Purpose.VOTE_CLEAN, 1, 1);
        double fwdSec = (System.nanoTime() - t0) / 1e9 / b;
        t0 = System.nanoTime();
        try (NDManager scope = x.getManager().newSubManager()) {
            gradientModel.lossAndGradient(
                    x, batch.labels(), ids, Objective.CROSS_ENTROPY, Purpose.PURIFY, 0);
        }
        return new double[] {fwdSec, (System.nanoTime() - t0) / 1e9 / b};
    }

    private static String rowsText(int rows) {
        return rows == 0 ? "all" : Integer.toString(rows);
    }

    /** Prints an estimate for a number of parallel task slots. */
    public static void print(ExperimentConfig c, Estimate e, int slots, PrintStream out) {
        out.printf(
                Locale.ROOT,
                "dry run of %s: %d samples, %s %s eps %.5g, EOT %d, K = %d%n",
                c.experiment(),
                e.samples(),
                c.attack().name(),
                c.attack().norm(),
                c.attack().eps(),
                c.attack().eot(),
                c.eval().votes());
        out.printf(
                Locale.ROOT,
                "  per sample (upper bound): %d gradient rows + %d forward rows%n",
                e.gradientRows(),
                e.forwardRows());
        out.printf(
                Locale.ROOT,
                "  measured on the driver (%s): %.4f s per gradient row, %.4f s per"
                        + " forward row%n",
                e.where(),
                e.secondsPerGradientRow(),
                e.secondsPerForwardRow());
        if (e.sanitySamples() > 0) {
            out.printf(
                    Locale.ROOT,
                    "  gradient-masking checks first, %d tasks on %d samples (upper bound):"
                            + " %d gradient rows + %d forward rows per sample, %.1f slot-s%n",
                    e.sanityTasks(),
                    e.sanitySamples(),
                    e.sanityGradientRows(),
                    e.sanityForwardRows(),
                    e.sanitySeconds());
        }
        BudgetLines.of(c).forEach(out::println);
        double wall = e.wallSeconds(slots);
        out.printf(
                Locale.ROOT,
                "  estimate: %.1f s per sample, %.2f slot-hours in all, about %s on %d"
                        + " parallel task slots like this one%n",
                e.secondsPerSample(),
                e.totalSeconds() / 3600,
                wall < 7200
                        ? String.format(Locale.ROOT, "%.1f min", wall / 60)
                        : String.format(Locale.ROOT, "%.1f h", wall / 3600),
                slots);
    }
}
