package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.Classifier;
import diffpure.noise.NoiseSource;
import diffpure.purify.ChainRunner;
import diffpure.purify.DiffusionPurifier;
import diffpure.torch.PtAutograd;

/**
 * Autograd through all N steps at once: O(N) activations. For verification and small models; the
 * reference for {@code exact} and {@code checkpointed}.
 */
public final class BackpropGradient implements GradientMode {
    private final DeviationLoss deviation;

    public BackpropGradient() {
        this(DeviationLoss.OFF);
    }

    private BackpropGradient(DeviationLoss deviation) {
        this.deviation = deviation;
    }

    /** The same mode with DiffAttack's deviation term in the loss autograd differentiates. */
    @Override
    public BackpropGradient withDeviation(DeviationLoss d) {
        return new BackpropGradient(d);
    }

    @Override
    public RowGradient compute(
            DiffusionPurifier purifier,
            Classifier classifier,
            Objective objective,
            NDArray x,
            NDArray labels,
            NoiseSource noise) {
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x, labels);
            DeviationTerm term =
                    deviation.isOff()
                            ? null
                            : DeviationTerm.start(deviation, purifier, x, noise, scope);
            NDArray leaf = PtAutograd.leaf(x);
            NDArray loss;
            NDArray logits;
            long live;
            try (PtAutograd.Mode grad = PtAutograd.enabled()) {
                // every intermediate is kept: the graph needs it. The graph also saves the
                // constants of the chain's arithmetic, which is why DiffusionPurifier makes them
                // with Scalars (DJL's would be freed by the next GC before backward reads them).
                ChainRunner runner = ChainRunner.over(purifier, noise);
                if (term != null) {
                    // the term's sum is built under autograd, so backward carries its gradient
                    runner = runner.observedBy(term);
                }
                NDArray y =
                        runner.runKeepingStates(
                                0, purifier.chain().length(), purifier.diffuse(leaf, noise));
                logits = classifier.logits(purifier.output(y));
                loss = objective.perRow(logits, labels);
                if (term != null) {
                    loss = loss.add(term.sum());
                }
                live = GradientDiagnostics.elementsHeld(scope);
                PtAutograd.backward(loss, loss.onesLike());
            }
            NDArray g = PtAutograd.gradientOf(leaf);
            long model = purifier.chain().steps().stream().filter(s -> s.usesModel()).count();
            GradientDiagnostics diag = new GradientDiagnostics(live, model, model, Double.NaN);
            return new RowGradient(
                    scope.ret(loss.stopGradient()),
                    scope.ret(logits.stopGradient()),
                    scope.ret(g),
                    diag);
        }
    }

    @Override
    public String name() {
        return "backprop";
    }
}
