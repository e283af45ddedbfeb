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
    @Override
    public RowGradient compute(
            DiffusionPurifier purifier,
            Classifier classifier,
            Objective objective,
            NDArray x,
            NDArray labels,
            NoiseSource noise) {
        RowGradient r = throughEveryStep(purifier, classifier, objective, x, labels, noise);
        if (r != null) {
            return r;
        }
        // A row whose whole gradient came back exactly 0: seen intermittently on 3x256x256
        // stand-in models (1-3 calls in 30, never with exact or checkpointed on the same inputs;
        // cause not found yet). exact computes the same gradient (equal to backprop to float
        // precision, tested), so the call is redone with it rather than handing an attack a
        // silently null step; a genuinely zero row (saturated loss) stays zero.
        return StoredStatesGradient.exact()
                .compute(purifier, classifier, objective, x, labels, noise);
    }

    /** The gradient by autograd through all steps, or null when a row of it is exactly zero. */
    private static RowGradient throughEveryStep(
            DiffusionPurifier purifier,
            Classifier classifier,
            Objective objective,
            NDArray x,
            NDArray labels,
            NoiseSource noise) {
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x, labels);
            NDArray leaf = PtAutograd.leaf(x);
            NDArray loss;
            NDArray logits;
            long live;
            try (PtAutograd.Mode grad = PtAutograd.enabled()) {
                // every intermediate is kept: the graph needs it
                NDArray y =
                        ChainRunner.over(purifier, noise)
                                .runKeepingStates(
                                        0,
                                        purifier.chain().length(),
                                        purifier.diffuse(leaf, noise));
                logits = classifier.logits(purifier.output(y));
                loss = objective.perRow(logits, labels);
                live = GradientDiagnostics.elementsHeld(scope);
                PtAutograd.backward(loss, loss.onesLike());
            }
            NDArray g = PtAutograd.gradientOf(leaf);
            if (hasAllZeroRow(g)) {
                return null;
            }
            long model = purifier.chain().steps().stream().filter(s -> s.usesModel()).count();
            GradientDiagnostics diag = new GradientDiagnostics(live, model, model, Double.NaN);
            return new RowGradient(
                    scope.ret(loss.stopGradient()),
                    scope.ret(logits.stopGradient()),
                    scope.ret(g),
                    diag);
        }
    }

    /** Whether some row of a [rows, ...] gradient is exactly zero everywhere. */
    static boolean hasAllZeroRow(NDArray g) {
        try (NDManager scope = NDManager.subManagerOf(g)) {
            scope.tempAttachAll(g);
            NDArray perRow = g.reshape(g.getShape().get(0), -1).abs().max(new int[] {1});
            return perRow.eq(0).any().getBoolean();
        }
    }

    @Override
    public String name() {
        return "backprop";
    }
}
