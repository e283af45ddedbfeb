package diffpure.attack;

import diffpure.config.AttackSettings;
import diffpure.config.ConfigError;
import diffpure.gradient.DeviationLoss;
import diffpure.gradient.GradientGrafting;
import diffpure.gradient.GradientModes;
import diffpure.gradient.GradientPlan;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * The attacks attack.name accepts, each a named preset of this package, and the attack a run's
 * {@link AttackSettings} build. A new attack is one more entry in {@link #PRESETS}: its name, the
 * settings it honours and how it is built.
 */
public final class Attacks {
    /**
     * One preset.
     *
     * @param name its attack.name
     * @param onlyNorm the one norm it takes, or null for Linf and L2
     * @param whyOnlyNorm why, for the error message (null with onlyNorm)
     * @param stepped whether it honours attack.step (a step length)
     * @param restarting whether it honours attack.restarts
     * @param build the attack for the threat model and the settings (step and restarts applied)
     */
    private record Preset(
            String name,
            Norm onlyNorm,
            String whyOnlyNorm,
            boolean stepped,
            boolean restarting,
            BiFunction<ThreatModel, AttackSettings, Attack> build) {}

    /** The preset that reads attack.early-stop and takes attack.norm = lpips. */
    private static final String LF = "lf";

    private static final List<Preset> PRESETS =
            List.of(
                    new Preset(
                            "pgd-eot",
                            null,
                            null,
                            true,
                            false,
                            (t, s) -> stepped(Pgd.leeKim(t), s)),
                    new Preset(
                            "pgd-eot-sign",
                            null,
                            null,
                            true,
                            false,
                            (t, s) -> stepped(Pgd.signEpsOver4(t, 200), s)),
                    new Preset(
                            "bpda-eot",
                            Norm.LINF,
                            "DiffPure's BPDA+EOT is Linf",
                            true,
                            false,
                            (t, s) -> stepped(Pgd.bpdaEot(s.eps()), s)),
                    new Preset(
                            "apgd-ce", null, null, false, true, (t, s) -> restarted(Apgd.ce(t), s)),
                    new Preset(
                            "apgd-dlr",
                            null,
                            null,
                            false,
                            true,
                            (t, s) -> restarted(Apgd.dlr(t), s)),
                    new Preset(
                            "apgd-t",
                            null,
                            null,
                            false,
                            true,
                            (t, s) -> restarted(Apgd.targeted(t), s)),
                    new Preset(
                            "autoattack-rand",
                            null,
                            null,
                            false,
                            false,
                            (t, s) ->
                                    Composition.autoAttackRand(t)
                                            .withReEvaluations(s.reEvaluations())),
                    new Preset(
                            "autoattack-standard",
                            null,
                            null,
                            false,
                            false,
                            (t, s) -> Composition.autoAttackStandard(t)),
                    new Preset(
                            "diffattack",
                            null,
                            null,
                            false,
                            false,
                            (t, s) -> Composition.diffAttack(t, deviation(s))),
                    new Preset(
                            "diffhammer",
                            null,
                            null,
                            false,
                            false,
                            (t, s) ->
                                    DiffHammer.official(
                                            t,
                                            evaluations(s),
                                            GradientGrafting.States.parse(s.grafting()))),
                    new Preset("square", null, null, false, false, (t, s) -> Square.standard(t)),
                    new Preset(
                            "stadv",
                            Norm.FLOW_LINF,
                            "a flow bound",
                            false,
                            false,
                            (t, s) -> StAdv.diffPure(s.eps())),
                    new Preset(
                            LF,
                            Norm.LPIPS,
                            "a perceptual bound measured by model.perceptual",
                            false,
                            false,
                            (t, s) -> Lf.diffBreak(s.eps(), Lf.EarlyStop.byLabel(s.earlyStop()))));

    /** The preset that reads attack.deviation-weight and attack.deviation-steps. */
    private static final String DIFFATTACK = "diffattack";

    /** The preset that reads attack.evaluations and attack.grafting. */
    private static final String DIFFHAMMER = "diffhammer";

    /** DiffHammer's N when attack.evaluations is 0: the official code's. */
    public static final int DEFAULT_EVALUATIONS = 10;

    /** The preset attack.re-evaluations applies to. */
    private static final String RE_EVALUATED = "autoattack-rand";

    /** The attack names accepted in attack.name, in documentation order. */
    public static final List<String> NAMES = PRESETS.stream().map(Preset::name).toList();

    /** The norms attack.norm accepts, by their labels. */
    public static final List<String> NORMS = Arrays.stream(Norm.values()).map(Norm::label).toList();

    private Attacks() {}

    /** The threat model of the settings. */
    public static ThreatModel threat(AttackSettings s) {
        return new ThreatModel(Norm.byLabel(s.norm()), s.eps());
    }

    /**
     * The attack, built only from settings it honours: a setting an attack would ignore is refused.
     *
     * @throws ConfigError naming the key: attack.name when unknown; attack.norm when the attack has
     *     a fixed ball (bpda-eot: Linf; stadv: flow-Linf and lf: lpips, which no other attack
     *     takes); attack.early-stop other than its default for an attack but lf; attack.restarts !=
     *     1 for an attack without restarts; attack.step for an attack without a step size
     */
    public static Attack build(AttackSettings s) {
        Preset p = preset(s.name());
        Norm norm = Norm.byLabel(s.norm());
        if (norm == Norm.FLOW_LINF && p.onlyNorm() != Norm.FLOW_LINF) {
            throw new ConfigError(
                    "attack.norm flow-Linf is for "
                            + words(q -> q.onlyNorm() == Norm.FLOW_LINF)
                            + " only, found attack.name '"
                            + s.name()
                            + "'");
        }
        if (norm == Norm.LPIPS && p.onlyNorm() != Norm.LPIPS) {
            throw new ConfigError(
                    "attack.norm lpips is for "
                            + words(q -> q.onlyNorm() == Norm.LPIPS)
                            + " only (every other attack steps and projects in pixel space),"
                            + " found attack.name '"
                            + s.name()
                            + "'");
        }
        if (!p.name().equals(LF) && !s.earlyStop().equals(AttackSettings.DEFAULT_EARLY_STOP)) {
            throw new ConfigError(
                    "attack.early-stop is read by attack.name = lf only (leave it at "
                            + AttackSettings.DEFAULT_EARLY_STOP
                            + " for "
                            + p.name()
                            + "), found "
                            + s.earlyStop());
        }
        if (p.onlyNorm() != null && norm != p.onlyNorm()) {
            throw new ConfigError(
                    "attack.norm must be "
                            + p.onlyNorm().label()
                            + " for "
                            + p.name()
                            + " ("
                            + p.whyOnlyNorm()
                            + "), found '"
                            + s.norm()
                            + "'");
        }
        if (s.restarts() != 1 && !p.restarting()) {
            throw new ConfigError(
                    "attack.restarts must be 1 for "
                            + p.name()
                            + " (only "
                            + words(Preset::restarting)
                            + " restart), found "
                            + s.restarts());
        }
        if (s.step() > 0 && !p.stepped()) {
            throw new ConfigError(
                    "attack.step is for "
                            + words(Preset::stepped)
                            + " (their step length); "
                            + p.name()
                            + " sets its own, found attack.step = "
                            + s.step());
        }
        if (!p.name().equals(DIFFATTACK)
                && (s.deviationWeight() != AttackSettings.DEFAULT_DEVIATION_WEIGHT
                        || s.deviationSteps() != 0)) {
            throw new ConfigError(
                    "attack.deviation-weight and attack.deviation-steps are read by attack.name ="
                            + " diffattack only (leave them at 1 and 0 for "
                            + p.name()
                            + "), found "
                            + s.deviationWeight()
                            + " and "
                            + s.deviationSteps());
        }
        if (s.reEvaluations() != 0 && !p.name().equals(RE_EVALUATED)) {
            throw new ConfigError(
                    "attack.re-evaluations is for attack.name = "
                            + RE_EVALUATED
                            + " only, found "
                            + s.reEvaluations()
                            + " for "
                            + p.name());
        }
        if (p.name().equals(DIFFHAMMER)) {
            requireDiffHammerSettings(s);
        } else if (s.evaluations() != 0 || !s.grafting().equals(AttackSettings.DEFAULT_GRAFTING)) {
            throw new ConfigError(
                    "attack.evaluations and attack.grafting are read by attack.name = diffhammer"
                            + " only (leave them at 0 and coarse for "
                            + p.name()
                            + "), found "
                            + s.evaluations()
                            + " and "
                            + s.grafting());
        }
        if (p.name().equals(DIFFATTACK) && !s.gradientMode().equals(GradientPlan.AUTO)) {
            // adjoint and bpda cannot carry the term's gradient: refused with the config
            try {
                GradientModes.byName(s.gradientMode(), GradientPlan.options(s))
                        .withDeviation(deviation(s));
            } catch (IllegalArgumentException e) {
                throw new ConfigError(e.getMessage(), e);
            }
        }
        Attack a = p.build().apply(threat(s), s);
        a = s.iterations() > 0 ? a.withIterations(s.iterations()) : a;
        try {
            checkpoints(s).requireRecordedBy(a);
        } catch (IllegalArgumentException e) {
            throw new ConfigError(e.getMessage(), e);
        }
        return a;
    }

    /**
     * The attack of the settings, ready to run: {@link #build(AttackSettings)} with lf's bound
     * measured by {@code network} (the run's model.perceptual).
     *
     * @param network the perceptual model for attack.norm = lpips; null for every other norm
     * @throws ConfigError naming model.perceptual when lpips has no network or another norm has one
     */
    public static Attack build(AttackSettings s, diffpure.model.PerceptualDistance network) {
        Attack a = build(s);
        boolean lpips = a.threat().norm() == Norm.LPIPS;
        if (lpips != (network != null)) {
            throw new ConfigError(
                    lpips
                            ? "model.perceptual must name a perceptual model for attack.norm ="
                                    + " lpips, found none"
                            : "model.perceptual is read for attack.norm = lpips only, found "
                                    + network.describe()
                                    + " with attack.norm = "
                                    + s.norm());
        }
        return a instanceof Lf lf ? lf.withNetwork(network) : a;
    }

    /**
     * DiffAttack's deviation term of the settings (attack.deviation-weight, -steps) for diffattack,
     * {@link DeviationLoss#OFF} for every other attack (which reads neither key).
     */
    public static DeviationLoss deviation(AttackSettings s) {
        if (!s.name().equals(DIFFATTACK)) {
            return DeviationLoss.OFF;
        }
        try {
            return new DeviationLoss(s.deviationWeight(), s.deviationSteps());
        } catch (IllegalArgumentException e) {
            throw new ConfigError(e.getMessage(), e);
        }
    }

    /** DiffHammer's N: attack.evaluations, or 10 when it is 0. */
    public static int evaluations(AttackSettings s) {
        return s.evaluations() == 0 ? DEFAULT_EVALUATIONS : s.evaluations();
    }

    /**
     * DiffHammer reads the gradient mode only for its grafting grid: exact or auto (the defence's
     * grid) or surrogate with summed noise (a coarser one); its copies are its EOT, so attack.eot
     * is 1.
     */
    private static void requireDiffHammerSettings(AttackSettings s) {
        String mode = s.gradientMode();
        if (!List.of("exact", GradientPlan.AUTO, "surrogate").contains(mode)) {
            throw new ConfigError(
                    "attack.gradient-mode must be exact, auto (grafting on the defence's grid) or"
                            + " surrogate (on a coarser one) for diffhammer, found '"
                            + mode
                            + "'");
        }
        if (mode.equals("surrogate") && !s.surrogateNoise().equals("summed")) {
            throw new ConfigError(
                    "attack.surrogate-noise must be summed for diffhammer (grafting replays the"
                            + " evaluated draw), found '"
                            + s.surrogateNoise()
                            + "'");
        }
        if (!s.surrogateEvaluation().equals("defence")) {
            throw new ConfigError(
                    "attack.surrogate-evaluation must be defence for diffhammer (its iterates are"
                            + " judged on its N defence copies), found '"
                            + s.surrogateEvaluation()
                            + "'");
        }
        if (s.eot() != 1) {
            throw new ConfigError(
                    "attack.eot must be 1 for diffhammer (its copies per iteration are"
                            + " attack.evaluations), found "
                            + s.eot());
        }
    }

    /** The budget checkpoints of attack.budget-checkpoints. */
    public static BudgetCheckpoints checkpoints(AttackSettings s) {
        return BudgetCheckpoints.at(s.budgetCheckpoints());
    }

    private static Preset preset(String name) {
        for (Preset p : PRESETS) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new ConfigError("attack.name must be one of " + NAMES + ", found '" + name + "'");
    }

    /** The names of the presets with a property, as "a, b and c". */
    private static String words(Predicate<Preset> which) {
        List<String> names = PRESETS.stream().filter(which).map(Preset::name).toList();
        return names.size() == 1
                ? names.get(0)
                : String.join(", ", names.subList(0, names.size() - 1))
                        + " and "
                        + names.get(names.size() - 1);
    }

    private static Pgd stepped(Pgd p, AttackSettings s) {
        return s.step() > 0 ? p.withStep(s.step()) : p;
    }

    private static Apgd restarted(Apgd a, AttackSettings s) {
        return a.withRestarts(s.restarts());
    }
}
