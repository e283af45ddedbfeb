package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.Classifier;
import diffpure.noise.Purpose;
import diffpure.torch.PtAutograd;

/** The bare classifier as a {@link TargetModel}: deterministic, EOT 1. */
public final class UndefendedModel implements TargetModel {
    private final Classifier classifier;

    public UndefendedModel(Classifier classifier) {
        this.classifier = classifier;
    }

    @Override
    public Evaluation lossAndGradient(
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            Objective objective,
            Purpose purpose,
            long draw) {
        try (PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            ClassifierHead.Result r =
                    ClassifierHead.lossAndGradient(classifier, objective, x, labels);
            NDArray logits =
                    r.logits().reshape(new Shape(x.getShape().get(0), 1, classifier.classes()));
            return new Evaluation(
                    r.loss(),
                    logits,
                    r.inputGradient(),
                    new GradientDiagnostics(0, 0, 0, Double.NaN));
        }
    }

    @Override
    public NDArray logits(NDArray x, long[] sampleIds, Purpose purpose, long draw, int copies) {
        try (NDManager scope = NDManager.subManagerOf(x);
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            scope.tempAttachAll(x);
            NDArray l = classifier.logits(x);
            NDArray rep = l.expandDims(1).repeat(1, copies);
            return scope.ret(rep);
        }
    }

    @Override
    public int classes() {
        return classifier.classes();
    }

    @Override
    public int eot() {
        return 1;
    }

    @Override
    public boolean isRandomized() {
        return false;
    }

    @Override
    public String describe() {
        return classifier.describe() + " (undefended)";
    }

    public Classifier classifier() {
        return classifier;
    }
}
