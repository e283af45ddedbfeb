package diffpure.jobs.evaluate;

import diffpure.attack.Attacks;
import diffpure.attack.BudgetCheckpoints;
import diffpure.config.ExperimentConfig;
import diffpure.purify.Purifiers;
import diffpure.sde.ChainStep;
import diffpure.sde.ReverseChain;
import diffpure.sde.VpSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The dry run's lines on what budget checkpoints and surrogate gradients cost ({@link DryRun}). */
final class BudgetLines {
    private BudgetLines() {}

    /**
     * What budget checkpoints and surrogate gradients add to a run, one line each (none when
     * neither is set): the checkpoints' extra votes per sample (in the forward rows above), and a
     * surrogate gradient row's model calls, N_s (F + V) + N_d F, beside a defence evaluation's N_d
     * F (F a score-model forward, V its vector-Jacobian product).
     */
    static List<String> of(ExperimentConfig c) {
        List<String> lines = new ArrayList<>();
        BudgetCheckpoints cps = Attacks.checkpoints(c.attack());
        if (cps.active()) {
            lines.add(
                    String.format(
                            Locale.ROOT,
                            "  budget checkpoints %s: + %d forward rows per sample (K = %d votes at"
                                    + " each of %d; in the forward rows above), each figure"
                                    + " 'iteration b of a run of %d'",
                            cps.at(),
                            cps.extraVotes(c.eval().votes()),
                            c.eval().votes(),
                            cps.at().size(),
                            Attacks.build(c.attack()).checkpointIterations()));
        }
        if (c.attack().gradientMode().equals("surrogate")) {
            ReverseChain defence = Purifiers.spec(c.purify()).chain(VpSchedule.DEFAULT);
            int nd = modelSteps(defence);
            int ns = modelSteps(defence.coarsened(c.attack().surrogateSteps()).chain());
            if (judgesOnSurrogate(c)) {
                lines.add(
                        String.format(
                                Locale.ROOT,
                                "  surrogate gradients (%s noise), iterates judged on the surrogate"
                                        + " copies: a gradient row costs N_s (F + V) = %d x (F +"
                                        + " V), a gradient-free check of an iterate N_s F = %d x F;"
                                        + " the defence (N_d F = %d x F per row) only votes, %d"
                                        + " per sample at the end and %d at the budget checkpoints;"
                                        + " no clean during-attack evaluations (not recorded in"
                                        + " this mode)",
                                c.attack().surrogateNoise(),
                                ns,
                                ns,
                                nd,
                                2L * c.eval().votes(),
                                cps.extraVotes(c.eval().votes())));
                return lines;
            }
            lines.add(
                    ns == nd && c.attack().surrogateNoise().equals("summed")
                            ? String.format(
                                    Locale.ROOT,
                                    "  surrogate gradients: N_s = N_d = %d, the defence chain"
                                            + " itself: a gradient row costs %d x (F + V), as"
                                            + " exact",
                                    nd,
                                    nd)
                            : String.format(
                                    Locale.ROOT,
                                    "  surrogate gradients (%s noise): a gradient row costs N_s (F"
                                            + " + V) + N_d F = %d x (F + V) + %d x F, a defence"
                                            + " evaluation N_d F = %d x F (F a score-model"
                                            + " forward, V its vector-Jacobian product; the"
                                            + " seconds above were measured in this mode)",
                                    c.attack().surrogateNoise(),
                                    ns,
                                    nd,
                                    nd));
        }
        return lines;
    }

    /** attack.surrogate-evaluation = checkpoints (only with gradient mode surrogate). */
    static boolean judgesOnSurrogate(ExperimentConfig c) {
        return c.attack().gradientMode().equals("surrogate")
                && c.attack().surrogateEvaluation().equals("checkpoints");
    }

    private static int modelSteps(ReverseChain chain) {
        return (int) chain.steps().stream().filter(ChainStep::usesModel).count();
    }
}
