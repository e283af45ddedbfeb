package diffpure.config;

import diffpure.attack.Apgd;
import diffpure.attack.Attack;
import diffpure.attack.Composition;
import diffpure.attack.Norm;
import diffpure.attack.Pgd;
import diffpure.attack.Square;
import diffpure.attack.StAdv;
import diffpure.attack.ThreatModel;
import java.io.Serializable;
import java.util.List;

/**
 * The attack setting of a run: a named preset of {@code diffpure.attack} with the run's radius and
 * budget.
 *
 * @param name one of {@link #NAMES}
 * @param norm Linf, L2 or flow-Linf
 * @param eps radius (flow bound for StAdv)
 * @param iterations main budget (iterations; queries for Square); 0 keeps the preset's
 * @param eot EOT copies averaged per gradient
 * @param restarts APGD restarts (other attacks: must be 1)
 * @param step PGD step length; 0 keeps the preset's
 * @param gradientMode exact, checkpointed, adjoint, backprop or bpda
 * @param successFraction fraction of an evaluation's EOT copies that must be fooled for the attack
 *     to count the sample as broken, in (0, 1] (1: every copy; {@link
 *     diffpure.attack.AttackContext})
 */
public record AttackSettings(
        String name,
        String norm,
        double eps,
        int iterations,
        int eot,
        int restarts,
        double step,
        String gradientMode,
        double successFraction)
        implements Serializable {

    /** The attack names accepted in {@code attack.name}. */
    public static final List<String> NAMES =
            List.of(
                    "pgd-eot",
                    "pgd-eot-sign",
                    "bpda-eot",
                    "apgd-ce",
                    "apgd-dlr",
                    "apgd-t",
                    "autoattack-rand",
                    "autoattack-standard",
                    "square",
                    "stadv");

    /** The threat model. */
    public ThreatModel threat() {
        return new ThreatModel(Norm.byLabel(norm), eps);
    }

    /**
     * The attack, built only from settings it honours: a setting an attack would ignore is refused.
     *
     * @throws ConfigError naming the key: attack.name when unknown; attack.norm when the attack has
     *     a fixed ball (bpda-eot: Linf; stadv: flow-Linf, which no other attack takes);
     *     attack.restarts != 1 for an attack without restarts; attack.step for an attack without a
     *     step size
     */
    public Attack build() {
        if (!NAMES.contains(name)) {
            throw new ConfigError("attack.name must be one of " + NAMES + ", found '" + name + "'");
        }
        boolean flow = Norm.byLabel(norm) == Norm.FLOW_LINF;
        if (name.equals("stadv") != flow) {
            throw new ConfigError(
                    name.equals("stadv")
                            ? "attack.norm must be flow-Linf for stadv (a flow bound), found '"
                                    + norm
                                    + "'"
                            : "attack.norm flow-Linf is for stadv only, found attack.name '"
                                    + name
                                    + "'");
        }
        if (name.equals("bpda-eot") && Norm.byLabel(norm) != Norm.LINF) {
            throw new ConfigError(
                    "attack.norm must be Linf for bpda-eot (DiffPure's BPDA+EOT is Linf), found '"
                            + norm
                            + "'");
        }
        boolean restarting = name.startsWith("apgd-");
        if (restarts != 1 && !restarting) {
            throw new ConfigError(
                    "attack.restarts must be 1 for "
                            + name
                            + " (only apgd-ce, apgd-dlr and apgd-t restart), found "
                            + restarts);
        }
        boolean stepped = name.startsWith("pgd-eot") || name.equals("bpda-eot");
        if (step > 0 && !stepped) {
            throw new ConfigError(
                    "attack.step is for pgd-eot, pgd-eot-sign and bpda-eot (their step length); "
                            + name
                            + " sets its own, found attack.step = "
                            + step);
        }
        ThreatModel t = threat();
        Attack a =
                switch (name) {
                    case "pgd-eot" -> step > 0 ? Pgd.leeKim(t).withStep(step) : Pgd.leeKim(t);
                    case "pgd-eot-sign" ->
                            step > 0
                                    ? Pgd.signEpsOver4(t, 200).withStep(step)
                                    : Pgd.signEpsOver4(t, 200);
                    case "bpda-eot" ->
                            step > 0 ? Pgd.bpdaEot(eps).withStep(step) : Pgd.bpdaEot(eps);
                    case "apgd-ce" -> restarted(Apgd.ce(t));
                    case "apgd-dlr" -> restarted(Apgd.dlr(t));
                    case "apgd-t" -> restarted(Apgd.targeted(t));
                    case "autoattack-rand" -> Composition.autoAttackRand(t);
                    case "autoattack-standard" -> Composition.autoAttackStandard(t);
                    case "square" -> Square.standard(t);
                    case "stadv" -> StAdv.diffPure(eps);
                    default -> throw new AssertionError(name);
                };
        return iterations > 0 ? a.withIterations(iterations) : a;
    }

    private Apgd restarted(Apgd a) {
        return new Apgd(a.loss(), a.threat(), a.iterations(), restarts, a.targetClasses(), a.rho());
    }
}
