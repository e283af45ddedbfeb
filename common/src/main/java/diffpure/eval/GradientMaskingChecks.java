package diffpure.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import diffpure.attack.Attack;
import diffpure.attack.AttackContext;
import diffpure.attack.AttackResult;
import diffpure.attack.Norm;
import diffpure.attack.Pgd;
import diffpure.attack.Square;
import diffpure.attack.ThreatModel;
import diffpure.gradient.FiniteLogits;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
    // Stage 205: the adjoint-against-exact comparison.
    private static final int STAGE = 200;

    /**
     * The checks a run's {@code sanity.*} settings ask for, for an attack in the given ball (Square
     * is compared on image balls only).
     */
    public static GradientMaskingChecks of(diffpure.config.SanitySettings s, ThreatModel threat) {
        ThreatModel ball = threat.norm().boundsImage() ? threat : ThreatModel.linf(0);
        return new GradientMaskingChecks(
                s.subset(),
                s.iterationFactor(),
                s.epsFactor(),
                s.alpha(),
                s.unboundedMaxRobust(),
                s.squareMargin(),
                Square.standard(ball).withIterations(s.squareQueries()));
    }

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
        if (randomized && attack.copiesPerStep(eot) < 2) {
            throw new IllegalArgumentException(
                    attack.name()
                            + " on the randomized model "
                            + model
                            + " needs attack.eot >= 2 (EOT; attack.evaluations for diffhammer), found "
                            + attack.copiesPerStep(eot)
                            + "; for randomized defences AutoAttack advises its version 'rand'"
                            + " (APGD-CE + APGD-DLR with EOT 20), not 'standard' (EOT 1)");
        }
    }

    /**
     * One check: what it measured and its warning (null when it passed).
     *
     * @param name zero-gradients, more-iterations, larger-eps, unbounded or square
     * @param measured the figures, in insertion order (numbers or strings)
     * @param warning null when the check passed
     */
    public record Check(String name, Map<String, Object> measured, String warning)
            implements Serializable {
        private static final long serialVersionUID = 1L;

        public Check {
            measured = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(measured));
        }
    }

    /**
     * What the checks measured on a run's subset.
     *
     * @param subset samples the checks used
     * @param checks every check, in order
     */
    public record Report(int subset, List<Check> checks, AdjointAgreement adjoint) {
        public Report {
            checks = List.copyOf(checks);
        }

        /** A report without an adjoint comparison. */
        public Report(int subset, List<Check> checks) {
            this(subset, checks, null);
        }

        /** This report with the adjoint gradient's agreement with exact on the same subset. */
        public Report withAdjoint(AdjointAgreement a) {
            return new Report(subset, checks, a);
        }

        /** The warnings of the checks that fired. */
        public List<String> warnings() {
            return checks.stream().map(Check::warning).filter(w -> w != null).toList();
        }

        /**
         * As the runs table's {@code sanity} column ({@link SanityJson}): {"subset": n, "checks":
         * [{"name", "measured": {...}, "warning": null | text}]}, and for a run with adjoint
         * gradients {"adjoint": {...}}.
         */
        public String json() {
            return SanityJson.write(this);
        }

        /**
         * A report from its {@link #json()} (the runs table's {@code sanity} column).
         *
         * @throws IllegalArgumentException naming what is wrong when the text is not such JSON
         */
        public static Report parse(String json) {
            return SanityJson.read(json);
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
        return report(model, attack, x, labels, sampleIds, runSeed).warnings();
    }

    /**
     * The attack runs the checks are made of. Each runs on its own (its own attack-context stage,
     * so its own noise), so they may run in separate tasks and give what one sequential call gives.
     */
    public enum Stage {
        /** The attack as configured (and its zero-gradient count). */
        BASE,
        /** The attack with iterationFactor x its budget. */
        MORE_ITERATIONS,
        /** The attack at epsFactor x eps. */
        LARGER_EPS,
        /** The attack at an unbounded radius. */
        UNBOUNDED,
        /** Square at the attack's eps (skipped on a flow ball). */
        SQUARE
    }

    /**
     * What one stage measured on the subset.
     *
     * @param stage the stage
     * @param robust per sample, robust after the stage's attack (majority of fresh evaluations);
     *     null when the stage does not apply (Square on a flow ball)
     * @param zeroGradientSamples samples whose attack met an all-zero input gradient (BASE only)
     */
    public record StageOutcome(Stage stage, boolean[] robust, long zeroGradientSamples)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Runs one stage on the first {@link #subset} samples. Robustness of a returned image is the
     * majority of max(EOT, 1) fresh evaluations.
     */
    public StageOutcome runStage(
            Stage stage,
            TargetModel model,
            Attack attack,
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            long runSeed) {
        requireEot(model, attack);
        if (stage == Stage.SQUARE && !attack.threat().norm().boundsImage()) {
            // Square steps in a pixel ball: no comparison for a flow (StAdv) or perceptual (lf)
            // bound
            return new StageOutcome(stage, null, 0);
        }
        int n = (int) Math.min(subset, x.getShape().get(0));
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x, labels);
            NDArray xs = x.get(new NDIndex("0:" + n));
            NDArray ls = labels.get(new NDIndex("0:" + n));
            long[] ids = java.util.Arrays.copyOf(sampleIds, n);
            long[] lab = ls.toType(DataType.INT64, false).toLongArray();
            int index = stage.ordinal();
            AttackContext ctx = new AttackContext(runSeed, STAGE + index, 1.0);
            Attack a =
                    switch (stage) {
                        case BASE -> attack;
                        case MORE_ITERATIONS ->
                                attack.withIterations(moreIterations(attack.iterations()));
                        case LARGER_EPS -> attack.withEps(attack.threat().eps() * epsFactor);
                        case UNBOUNDED ->
                                unbounded(attack, unboundedRadius(attack, x.getShape().slice(1)));
                        case SQUARE -> square.withEps(attack.threat().eps());
                    };
            AttackResult r = a.run(model, xs, ls, ids, ctx);
            long zero =
                    stage == Stage.BASE
                            ? r.traces().stream().filter(t -> t.zeroGradients() > 0).count()
                            : 0;
            return new StageOutcome(stage, robust(model, r, ids, lab, index), zero);
        }
    }

    /**
     * Runs every check on the first {@link #subset} samples, one stage after the other. Works for
     * every attack: compositions run in their own stages, and on a flow ball (StAdv) the Square
     * comparison, which needs a ball on the image, is recorded as not applicable.
     */
    public Report report(
            TargetModel model,
            Attack attack,
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            long runSeed) {
        List<StageOutcome> outcomes = new ArrayList<>();
        for (Stage s : Stage.values()) {
            outcomes.add(runStage(s, model, attack, x, labels, sampleIds, runSeed));
        }
        return report(attack, x.getShape().slice(1), outcomes);
    }

    /**
     * The checks from every stage's outcome (in any order; each stage once).
     *
     * @param attack the run's attack
     * @param imageShape the per-image shape (for the unbounded radius of an L2 attack)
     */
    public Report report(Attack attack, Shape imageShape, List<StageOutcome> outcomes) {
        Map<Stage, StageOutcome> by = new java.util.EnumMap<>(Stage.class);
        for (StageOutcome o : outcomes) {
            if (by.put(o.stage(), o) != null) {
                throw new IllegalArgumentException("stage " + o.stage() + " given twice");
            }
        }
        for (Stage s : Stage.values()) {
            if (!by.containsKey(s)) {
                throw new IllegalArgumentException("no outcome of stage " + s);
            }
        }
        boolean[] robust = by.get(Stage.BASE).robust();
        int n = robust.length;
        List<Check> checks = new ArrayList<>();
        long zero = by.get(Stage.BASE).zeroGradientSamples();
        checks.add(
                new Check(
                        "zero-gradients",
                        ordered("samples", n, "samples_with_zero_gradients", zero),
                        zero == 0
                                ? null
                                : String.format(
                                        Locale.ROOT,
                                        "%s: %d of %d samples had all-zero input gradients",
                                        attack.name(),
                                        zero,
                                        n)));
        checks.add(
                rising(
                        "more-iterations",
                        attack.name()
                                + " with "
                                + moreIterations(attack.iterations())
                                + " instead of "
                                + attack.iterations()
                                + " iterations",
                        robust,
                        by.get(Stage.MORE_ITERATIONS).robust()));
        double eps = attack.threat().eps();
        checks.add(
                rising(
                        "larger-eps",
                        attack.name() + " at eps " + eps * epsFactor + " instead of " + eps,
                        robust,
                        by.get(Stage.LARGER_EPS).robust()));
        double unbounded = unboundedRadius(attack, imageShape);
        double acc3 = fraction(by.get(Stage.UNBOUNDED).robust());
        checks.add(
                new Check(
                        "unbounded",
                        ordered("eps", unbounded, "robust", acc3, "limit", unboundedMaxRobust),
                        acc3 > unboundedMaxRobust
                                ? String.format(
                                        Locale.ROOT,
                                        "%s with unbounded eps %.4g left %.1f%% robust (>"
                                                + " %.1f%%)",
                                        attack.name(),
                                        unbounded,
                                        100 * acc3,
                                        100 * unboundedMaxRobust)
                                : null));
        double accBase = fraction(robust);
        boolean[] r4 = by.get(Stage.SQUARE).robust();
        if (r4 == null) {
            checks.add(
                    new Check(
                            "square",
                            ordered(
                                    "skipped",
                                    "square needs a ball on the image; "
                                            + attack.name()
                                            + (attack.threat().norm() == Norm.LPIPS
                                                    ? " uses a perceptual bound"
                                                    : " uses a flow bound")),
                            null));
        } else {
            Square sq = square.withEps(eps);
            double accSquare = fraction(r4);
            checks.add(
                    new Check(
                            "square",
                            ordered(
                                    "queries",
                                    sq.queries(),
                                    "robust_square",
                                    accSquare,
                                    "robust_attack",
                                    accBase,
                                    "margin",
                                    squareMargin),
                            accSquare <= accBase - squareMargin
                                    ? String.format(
                                            Locale.ROOT,
                                            "square (%d queries) left %.1f%% robust, %s %.1f%%:"
                                                    + " the gradient attack is %.1f points"
                                                    + " weaker",
                                            sq.queries(),
                                            100 * accSquare,
                                            attack.name(),
                                            100 * accBase,
                                            100 * (accBase - accSquare))
                                    : null));
        }
        return new Report(n, checks);
    }

    private int moreIterations(int iterations) {
        return (int) Math.ceil(iterations * iterationFactor);
    }

    /**
     * The whole box: Linf 1, L2 sqrt(pixels); a flow of 2 grid units moves any pixel anywhere; a
     * perceptual bound of 1e6, far past any LPIPS distance, so lf's penalty never acts.
     */
    private static double unboundedRadius(Attack attack, Shape imageShape) {
        return switch (attack.threat().norm()) {
            case LINF -> 1.0;
            case L2 -> Math.sqrt(imageShape.size());
            case FLOW_LINF -> 2.0;
            case LPIPS -> 1e6;
        };
    }

    /**
     * Compares the adjoint gradient of a run's model with an exact gradient on the first {@link
     * #subset} samples, for the same draw (a draw of the checks' own stage, so no attack's).
     *
     * @param adjoint the run's model, gradient mode adjoint
     * @param exact the same model with an exact gradient mode and the same run seed
     * @param exactMode that mode's name
     */
    public AdjointAgreement adjointAgreement(
            TargetModel adjoint,
            TargetModel exact,
            String exactMode,
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            long runSeed) {
        int n = (int) Math.min(subset, x.getShape().get(0));
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x, labels);
            return AdjointAgreement.measure(
                    adjoint,
                    exact,
                    exactMode,
                    x.get(new NDIndex("0:" + n)),
                    labels.get(new NDIndex("0:" + n)),
                    java.util.Arrays.copyOf(sampleIds, n),
                    new AttackContext(runSeed, STAGE + 5, 1.0).draw(0));
        }
    }

    /**
     * The attack at an unbounded radius. A PGD with an absolute step (PGD-EOT's 0.007, BPDA's
     * 2/255) gets its step scaled with the radius, else its budget could not reach the unbounded
     * ball's far side and the check would fire on every model.
     */
    private static Attack unbounded(Attack attack, double radius) {
        double eps = attack.threat().eps();
        if (attack instanceof Pgd p && p.stepScale() == Pgd.StepScale.ABSOLUTE && eps > 0) {
            return p.withEps(radius).withStep(p.step() * radius / eps);
        }
        return attack.withEps(radius);
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private Check rising(String name, String what, boolean[] base, boolean[] stronger) {
        McNemar m = McNemar.test(base, stronger);
        double p = m.oneSidedBGreater();
        String warning =
                m.onlyB() > m.onlyA() && p < alpha
                        ? String.format(
                                Locale.ROOT,
                                "robust accuracy rose from %.1f%% to %.1f%% with %s"
                                        + " (one-sided paired p = %.3g)",
                                100 * fraction(base),
                                100 * fraction(stronger),
                                what,
                                p)
                        : null;
        return new Check(
                name,
                ordered(
                        "robust_base",
                        fraction(base),
                        "robust_stronger",
                        fraction(stronger),
                        "only_base_broken",
                        m.onlyB(),
                        "only_stronger_broken",
                        m.onlyA(),
                        "p_one_sided",
                        p),
                warning);
    }

    /**
     * The majority of max(EOT, 1) fresh evaluations of each returned image decides robustness
     * (AutoAttack's final check uses one, which on a randomized defence is chance).
     */
    private static boolean[] robust(
            TargetModel model, AttackResult r, long[] ids, long[] lab, long draw) {
        int copies = Math.max(model.eot(), 1);
        NDArray logits =
                model.logits(r.adversarial(), ids, Purpose.VOTE_ADVERSARIAL, 1000 + draw, copies);
        FiniteLogits.require(logits, ids, "the gradient-masking checks");
        long[] p = logits.argMax(2).toType(DataType.INT64, false).toLongArray();
        boolean[] out = new boolean[ids.length];
        for (int i = 0; i < ids.length; i++) {
            int correct = 0;
            for (int m = 0; m < copies; m++) {
                correct += p[i * copies + m] == lab[i] ? 1 : 0;
            }
            out[i] = 2 * correct > copies;
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
