package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.Classifier;
import diffpure.noise.NoiseSource;
import diffpure.purify.DiffusionPurifier;
import diffpure.torch.PtAutograd;

/**
 * BPDA: the purifier is the identity in the backward pass, so the gradient is the classifier's at
 * the purified image. The forward pass (and so loss and logits) is the real purification.
 */
public final class BpdaGradient implements GradientMode {
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
            NDArray purified = purifier.purify(x, noise);
            ClassifierHead.Result head;
            try (PtAutograd.Mode noGrad = PtAutograd.disabled()) {
                head = ClassifierHead.lossAndGradient(classifier, objective, purified, labels);
            }
            long model = purifier.chain().steps().stream().filter(s -> s.usesModel()).count();
            GradientDiagnostics diag = new GradientDiagnostics(0, model, 0, Double.NaN);
            return new RowGradient(
                    scope.ret(head.loss()),
                    scope.ret(head.logits()),
                    scope.ret(head.inputGradient()),
                    diag);
        }
    }

    @Override
    public String name() {
        return "bpda";
    }
}
