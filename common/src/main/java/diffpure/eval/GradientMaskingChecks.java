package diffpure.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import diffpure.attack.Attack;
import diffpure.attack.AttackContext;
import diffpure.attack.AttackResult;
import diffpure.attack.Norm;
import diffpure.attack.Square;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Gradient-masking sanity checks (Carlini et al. 2019; Croce &amp; Hein 2020's flags) on a subset
 * of samples, returned as warnings: robust accuracy that rises with more iterations or a larger eps
 * (beyond a one-sided paired 95% bound), an unbounded attack that leaves more than 2% robust,
 * Square beating the gradient attack by 5 points or more, and all-zero input gradients. A
 * randomized model attacked with EOT below 2 is an error, not a warning.
 *
 * @param subset how many samples (the first ones of the batch) the checks use (32)
 * @param iterationFactor budget multiplier of the more-iterations rerun (2)
 * @param epsFactor radius multiplier of the larger-eps rerun (2)
 * @param alpha one-sided level of the paired tests (0.05)
 * @param unboundedMaxRobust largest robust accuracy an unbounded attack may leave (0.02)
 * @param squareMargin how far below the gradient attack Square's robust accuracy may go (0.05)
 * @param square the Square attack to compare with (its eps is set to the attack's)
 */
public record GradientMaskingChecks(
        int subset,
        double iterationFactor,
        double epsFactor,
        double alpha,
        double unboundedMaxRobust,
        double squareMargin,
        Square square) {
    // Stages 200..204 with their composition members 1601..1640: disjoint from the attack's own
    // stage 0 and its members 1..8 (and their members 9..72), and inside AttackContext.STAGES.
    private static final int STAGE = 200;

    /** The defaults with the given Square attack. */
    public static GradientMaskingChecks defaults(Square square) {
        return new GradientMaskingChecks(32, 2, 2, 0.05, 0.02, 0.05, square);
    }

    /**
     * Fails when a randomized model would be attacked with fewer than 2 EOT copies per gradient: a
     * single draw's gradient is what makes randomized defences look robust, and AutoAttack's own
     * advice for them is its version 'rand' (EOT 20), not 'standard' (EOT 1).
     *
     * @throws IllegalArgumentException naming the attack and the model
     */
    public static void requireEot(TargetModel model, Attack attack) {
        requireEot(model.isRandomized(), model.eot(), attack, model.describe());
    }

    /**
     * {@link #requireEot(TargetModel, Attack)} from what the driver knows before any model is
     * loaded.
     *
     * @param randomized whether two evaluations of one input can differ
     * @param model the model's description, for the message
     */
    public static void requireEot(boolean randomized, int eot, Attack attack, String model) {
        if (randomized && eot < 2) {
            throw new IllegalArgumentException(
                    attack.name()
                            + " on the randomized model "
                            + model
                            + " needs attack.eot >= 2 (EOT), found "
                            + eot
                            + "; for randomized defences AutoAttack advises its version 'rand'"
                            + " (APGD-CE + APGD-DLR with EOT 20), not 'standard' (EOT 1)");
        }
    }

    /**
     * Runs every check on the first {@link #subset} samples and returns the warnings (empty when
     * all pass).
     */
    public List<String> run(
            TargetModel model,
            Attack attack,
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            long runSeed) {
        requireEot(model, attack);
        // The larger-eps, unbounded and Square comparisons are defined for balls on the image only.
        attack.threat().requireImageBall("gradient-masking checks of " + attack.name());
        int n = (int) Math.min(subset, x.getShape().get(0));
        List<String> warnings = new ArrayList<>();
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x, labels);
            NDArray xs = x.get(new NDIndex("0:" + n));
            NDArray ls = labels.get(new NDIndex("0:" + n));
            long[] ids = java.util.Arrays.copyOf(sampleIds, n);
            long[] lab = ls.toType(DataType.INT64, false).toLongArray();
            AttackContext ctx = new AttackContext(runSeed, STAGE, 1.0);

            AttackResult base = attack.run(model, xs, ls, ids, ctx);
            boolean[] robust = robust(model, base, ids, lab, 0);
            long zero = base.traces().stream().filter(t -> t.zeroGradients() > 0).count();
            if (zero > 0) {
                warnings.add(
                        String.format(
                                Locale.ROOT,
                                "%s: %d of %d samples had all-zero input gradients",
                                attack.name(),
                                zero,
                                n));
            }
            int more = (int) Math.ceil(attack.iterations() * iterationFactor);
            boolean[] r1 =
                    robust(
                            model,
                            attack.withIterations(more)
                                    .run(model, xs, ls, ids, ctx.withStage(STAGE + 1)),
                            ids,
                            lab,
                            1);
            rising(
                    warnings,
                    attack.name()
                            + " with "
                            + more
                            + " instead of "
                            + attack.iterations()
                            + " iterations",
                    robust,
                    r1);
            double eps = attack.threat().eps();
            boolean[] r2 =
                    robust(
                            model,
                            attack.withEps(eps * epsFactor)
                                    .run(model, xs, ls, ids, ctx.withStage(STAGE + 2)),
                            ids,
                            lab,
                            2);
            rising(
                    warnings,
                    attack.name() + " at eps " + eps * epsFactor + " instead of " + eps,
                    robust,
                    r2);

            int per = (int) x.getShape().slice(1).size();
            double unbounded = attack.threat().norm() == Norm.LINF ? 1.0 : Math.sqrt(per);
            boolean[] r3 =
                    robust(
                            model,
                            attack.withEps(unbounded)
                                    .run(model, xs, ls, ids, ctx.withStage(STAGE + 3)),
                            ids,
                            lab,
                            3);
            double acc3 = fraction(r3);
            if (acc3 > unboundedMaxRobust) {
                warnings.add(
                        String.format(
                                Locale.ROOT,
                                "%s with unbounded eps %.4g left %.1f%% robust (> %.1f%%)",
                                attack.name(),
                                unbounded,
                                100 * acc3,
                                100 * unboundedMaxRobust));
            }
            Square sq = square.withEps(eps);
            boolean[] r4 =
                    robust(
                            model,
                            sq.run(model, xs, ls, ids, ctx.withStage(STAGE + 4)),
                            ids,
                            lab,
                            4);
            double accBase = fraction(robust);
            double accSquare = fraction(r4);
            if (accSquare <= accBase - squareMargin) {
                warnings.add(
                        String.format(
                                Locale.ROOT,
                                "square (%d queries) left %.1f%% robust, %s %.1f%%: the"
                                        + " gradient attack is %.1f points weaker",
                                sq.queries(),
                                100 * accSquare,
                                attack.name(),
                                100 * accBase,
                                100 * (accBase - accSquare)));
            }
        }
        return warnings;
    }

    private void rising(List<String> warnings, String what, boolean[] base, boolean[] stronger) {
        McNemar m = McNemar.test(base, stronger);
        double p = m.oneSidedBGreater();
        if (m.onlyB() > m.onlyA() && p < alpha) {
            warnings.add(
                    String.format(
                            Locale.ROOT,
                            "robust accuracy rose from %.1f%% to %.1f%% with %s"
                                    + " (one-sided paired p = %.3g)",
                            100 * fraction(base),
                            100 * fraction(stronger),
                            what,
                            p));
        }
    }

    /**
     * One fresh evaluation of each returned image decides robustness, as AutoAttack's final check.
     */
    private static boolean[] robust(
            TargetModel model, AttackResult r, long[] ids, long[] lab, long draw) {
        NDArray logits =
                model.logits(r.adversarial(), ids, Purpose.VOTE_ADVERSARIAL, 1000 + draw, 1);
        long[] p = logits.argMax(2).toType(DataType.INT64, false).toLongArray();
        boolean[] out = new boolean[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = p[i] == lab[i];
        }
        return out;
    }

    private static double fraction(boolean[] v) {
        int c = 0;
        for (boolean b : v) {
            c += b ? 1 : 0;
        }
        return v.length == 0 ? 0 : c / (double) v.length;
    }
}
