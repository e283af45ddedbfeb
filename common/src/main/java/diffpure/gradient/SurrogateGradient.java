package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.Classifier;
import diffpure.noise.NoiseSource;
import diffpure.purify.ChainRunner;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.CoarseChain;
import diffpure.torch.PtAutograd;
import java.util.Locale;

/**
 * Surrogate-chain gradients (Lee &amp; Kim, ICCV 2023): the input gradient is {@code exact}'s
 * (stored states, replayed noise, one vector-Jacobian product per step) through a coarser reverse
 * chain of the same score model over the same [t-end, t*] ({@link
 * diffpure.sde.ReverseChain#coarsened}: a sub-grid of the defence's own points for the reverse SDE
 * and the probability-flow ODE, the respaced alpha-bar for DDPM). With {@link Noise#SUMMED} each
 * coarse step draws the sum of the defence's Brownian increments it spans, so with as many steps as
 * the defence the surrogate is the defence chain and this is {@code exact}; {@link
 * Noise#INDEPENDENT} gives the surrogate fresh noise of its own.
 *
 * <p>The loss and logits returned, which judge the iterate (success, best iterate, APGD's
 * schedule), are the defence chain's from the same draw: per row N_s (F + V) for the gradient plus
 * N_d F for that evaluation (none when the surrogate is the defence chain itself), F a score-model
 * forward and V its vector-Jacobian product. With {@link Evaluation#CHECKPOINTS} the iterates are
 * judged on the surrogate copies instead (the loss and logits the gradient's own forward sweep
 * computed, and {@link #purifyToJudge} for gradient-free evaluations): N_s (F + V) per row, and
 * defence draws are spent only on the votes at budget checkpoints and at the end. The final K votes
 * are always fresh defence draws whatever the mode.
 */
public final class SurrogateGradient implements GradientMode {
    /** Where the surrogate chain's noise comes from (attack.surrogate-noise). */
    public enum Noise {
        /** The defence's own draws, summed over each coarse step's span. */
        SUMMED,
        /** Fresh draws of the surrogate's own (Lee &amp; Kim). */
        INDEPENDENT;

        /**
         * Parses summed or independent.
         *
         * @throws IllegalArgumentException naming attack.surrogate-noise
         */
        public static Noise parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "attack.surrogate-noise must be summed or independent, found '"
                                + name
                                + "'",
                        e);
            }
        }
    }

    /** What judges the attack's iterates (attack.surrogate-evaluation). */
    public enum Evaluation {
        /** The defence chain's draw of the same step (N_d F more per row). */
        DEFENCE,
        /**
         * The surrogate copies; the defence votes only at budget checkpoints and at the end, and a
         * surrogate "success" never stops the attack nor counts a sample as broken.
         */
        CHECKPOINTS;

        /**
         * Parses defence or checkpoints.
         *
         * @throws IllegalArgumentException naming attack.surrogate-evaluation
         */
        public static Evaluation parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "attack.surrogate-evaluation must be defence or checkpoints, found '"
                                + name
                                + "'",
                        e);
            }
        }
    }

    private final int steps;
    private final Noise noise;
    private final Evaluation evaluation;
    private final DeviationLoss deviation;
    private final StoredStatesGradient exact;

    /**
     * @param steps N_s, the surrogate chain's steps (attack.surrogate-steps), 1 .. N_d
     * @throws IllegalArgumentException naming attack.surrogate-steps when steps &lt; 1
     */
    public SurrogateGradient(int steps, Noise noise) {
        this(steps, noise, Evaluation.DEFENCE);
    }

    /**
     * @param steps N_s, the surrogate chain's steps (attack.surrogate-steps), 1 .. N_d
     * @param evaluation what judges the iterates (attack.surrogate-evaluation)
     * @throws IllegalArgumentException naming attack.surrogate-steps when steps &lt; 1
     */
    public SurrogateGradient(int steps, Noise noise, Evaluation evaluation) {
        if (steps < 1) {
            throw new IllegalArgumentException(
                    "attack.surrogate-steps must be >= 1, found " + steps);
        }
        this.steps = steps;
        this.noise = noise;
        this.evaluation = java.util.Objects.requireNonNull(evaluation, "evaluation");
        this.deviation = DeviationLoss.OFF;
        this.exact = StoredStatesGradient.exact();
    }

    private SurrogateGradient(SurrogateGradient s, DeviationLoss deviation) {
        this.steps = s.steps;
        this.noise = s.noise;
        this.evaluation = s.evaluation;
        this.deviation = deviation;
        this.exact = StoredStatesGradient.exact().withDeviation(deviation);
    }

    /**
     * The same mode with DiffAttack's deviation term: its gradient is taken on the surrogate
     * chain's states (with the surrogate's draws), the loss returned is the defence chain's term on
     * the defence's states of the same draw.
     */
    @Override
    public SurrogateGradient withDeviation(DeviationLoss d) {
        return new SurrogateGradient(this, d);
    }

    /** N_s. */
    public int steps() {
        return steps;
    }

    public Noise noise() {
        return noise;
    }

    public Evaluation evaluation() {
        return evaluation;
    }

    /** Whether the attack's iterates are judged on the surrogate copies (checkpoints). */
    public boolean judgesOnSurrogate() {
        return evaluation == Evaluation.CHECKPOINTS;
    }

    /**
     * A gradient-free evaluation of rows x judged on the surrogate chain with the draws a gradient
     * of the same noise would use: the logits equal those {@link #compute} returns in {@link
     * Evaluation#CHECKPOINTS} for the same rows and noise.
     */
    public NDArray purifyToJudge(DiffusionPurifier defence, NDArray x, NoiseSource rowNoise) {
        CoarseChain coarse = surrogateFor(defence);
        return defence.withChain(coarse.chain()).purify(x, surrogateNoise(rowNoise, coarse));
    }

    private NoiseSource surrogateNoise(NoiseSource rowNoise, CoarseChain coarse) {
        return noise == Noise.SUMMED ? new CoarseNoise(rowNoise, coarse) : new FreshNoise(rowNoise);
    }

    /**
     * The surrogate's chain for a defence: the defence chain coarsened to N_s steps.
     *
     * @throws IllegalArgumentException naming attack.surrogate-steps when N_s exceeds the defence's
     *     steps
     */
    public CoarseChain surrogateFor(DiffusionPurifier defence) {
        return defence.chain().coarsened(steps);
    }

    /**
     * What one gradient row costs, in words with counts: N_s (F + V) plus N_d F for the defence's
     * evaluation of the same draw (none when the surrogate is the defence chain).
     */
    public String cost(DiffusionPurifier defence) {
        int nd = modelSteps(defence);
        CoarseChain coarse = surrogateFor(defence);
        int ns = (int) coarse.chain().steps().stream().filter(s -> s.usesModel()).count();
        boolean itself = isDefenceChain(defence, coarse);
        if (judgesOnSurrogate()) {
            return String.format(
                    Locale.ROOT,
                    "surrogate gradient per row: %d x (F + V) through %s, iterates judged on the"
                            + " surrogate copies (defence votes of %d x F each only at budget"
                            + " checkpoints and at the end)",
                    ns,
                    coarse.chain().name(),
                    nd);
        }
        return String.format(
                Locale.ROOT,
                "surrogate gradient per row: %d x (F + V) through %s%s",
                ns,
                coarse.chain().name(),
                itself
                        ? " (the defence chain itself: exact)"
                        : String.format(Locale.ROOT, " + %d x F for the defence's evaluation", nd));
    }

    @Override
    public RowGradient compute(
            DiffusionPurifier purifier,
            Classifier classifier,
            Objective objective,
            NDArray x,
            NDArray labels,
            NoiseSource rowNoise) {
        CoarseChain coarse = surrogateFor(purifier);
        DiffusionPurifier surrogate = purifier.withChain(coarse.chain());
        RowGradient g =
                exact.compute(
                        surrogate,
                        classifier,
                        objective,
                        x,
                        labels,
                        surrogateNoise(rowNoise, coarse));
        if (judgesOnSurrogate() || isDefenceChain(purifier, coarse)) {
            // judged on the surrogate copies, or they are the defence's, bit for bit
            return g;
        }
        try (NDManager scope = NDManager.subManagerOf(x);
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            scope.tempAttachAll(x, labels);
            NDArray logits;
            NDArray loss;
            if (deviation.isOff()) {
                logits = classifier.logits(purifier.purify(x, rowNoise));
                loss = objective.perRow(logits, labels);
            } else {
                DeviationTerm term = DeviationTerm.start(deviation, purifier, x, rowNoise, scope);
                NDArray y =
                        ChainRunner.over(purifier, rowNoise)
                                .observedBy(term)
                                .run(0, purifier.chain().length(), purifier.diffuse(x, rowNoise));
                logits = classifier.logits(purifier.output(y));
                loss = objective.perRow(logits, labels).add(term.sum());
            }
            g.loss().close();
            g.logits().close();
            GradientDiagnostics d = g.diagnostics();
            GradientDiagnostics diag =
                    new GradientDiagnostics(
                            d.peakLiveElements(),
                            d.modelForwards() + modelSteps(purifier),
                            d.modelBackwards(),
                            d.reconstructionError());
            return new RowGradient(scope.ret(loss), scope.ret(logits), g.gradient(), diag);
        }
    }

    private boolean isDefenceChain(DiffusionPurifier defence, CoarseChain coarse) {
        return noise == Noise.SUMMED && coarse.chain().steps().equals(defence.chain().steps());
    }

    private static int modelSteps(DiffusionPurifier p) {
        return (int) p.chain().steps().stream().filter(s -> s.usesModel()).count();
    }

    @Override
    public String name() {
        return "surrogate";
    }
}
