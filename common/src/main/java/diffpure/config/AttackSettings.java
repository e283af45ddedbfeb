package diffpure.config;

import java.io.Serializable;
import java.util.List;

/**
 * The attack setting of a run: a named preset of {@code diffpure.attack} with the run's radius and
 * budget; {@code diffpure.attack.Attacks} builds the attack from it.
 *
 * @param name an attack name ({@code diffpure.attack.Attacks.NAMES})
 * @param norm Linf, L2 or flow-Linf
 * @param eps radius (flow bound for StAdv)
 * @param iterations main budget (iterations; queries for Square); 0 keeps the preset's
 * @param eot EOT copies averaged per gradient
 * @param restarts APGD restarts (other attacks: must be 1)
 * @param step PGD step length; 0 keeps the preset's
 * @param gradientMode auto or a gradient mode ({@code diffpure.gradient.GradientModes})
 * @param successFraction fraction of an evaluation's EOT copies that must be fooled for the attack
 *     to count the sample as broken, in (0, 1] (1: every copy; {@link
 *     diffpure.attack.AttackContext})
 * @param budgetCheckpoints cumulative iteration counts at which the attack's best iterate so far
 *     gets its own K votes, strictly increasing; empty = off ({@code
 *     diffpure.attack.BudgetCheckpoints})
 * @param surrogateSteps with gradient mode surrogate: N_s, the steps of the coarser chain the
 *     gradient goes through (attack.surrogate-steps); 0 otherwise
 * @param surrogateNoise with gradient mode surrogate: summed or independent
 *     (attack.surrogate-noise)
 * @param surrogateEvaluation with gradient mode surrogate: defence (iterates judged on the defence
 *     chain) or checkpoints (on the surrogate copies, defence votes only at budget checkpoints and
 *     at the end) (attack.surrogate-evaluation)
 * @param deviationWeight DiffAttack's lambda (attack.deviation-weight), read by attack.name =
 *     diffattack only; every other attack refuses a value but the default 1
 * @param deviationSteps DiffAttack's m (attack.deviation-steps), states sampled per row; 0 = all;
 *     read by diffattack only
 * @param reEvaluations R (attack.re-evaluations): autoattack-rand judges candidate images by R
 *     classifications as ADDT's re-evaluated AutoAttack does; 0 = off
 * @param earlyStop attack.early-stop, read by attack.name = lf only: success-fraction (the
 *     project's rule, the default) or plurality (DiffBreak's)
 * @param evaluations N (attack.evaluations): diffhammer's purified copies per iteration; 0 = its
 *     default (10); read by diffhammer only
 * @param grafting where diffhammer's grafting takes its Jacobians (attack.grafting): coarse (the
 *     coarse chain's own states) or authors (the official code's fine-chain states)
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
        double successFraction,
        List<Integer> budgetCheckpoints,
        int surrogateSteps,
        String surrogateNoise,
        String surrogateEvaluation,
        double deviationWeight,
        int deviationSteps,
        int reEvaluations,
        String earlyStop,
        int evaluations,
        String grafting)
        implements Serializable {
    /** attack.deviation-weight's default: DiffBreak's weighting. */
    public static final double DEFAULT_DEVIATION_WEIGHT = 1;

    /** attack.early-stop's default: the project's success rule. */
    public static final String DEFAULT_EARLY_STOP = "success-fraction";

    /** attack.grafting's default. */
    public static final String DEFAULT_GRAFTING = "coarse";

    public AttackSettings {
        budgetCheckpoints = List.copyOf(budgetCheckpoints);
    }
}
