package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.Classifier;
import diffpure.torch.PtAutograd;

/** Loss, logits and d loss / d input of the classifier at given (purified) images. */
public final class ClassifierHead {
    private ClassifierHead() {}

    /** The result; arrays attach to the input's manager. */
    public record Result(NDArray loss, NDArray logits, NDArray inputGradient) {}

    /** Evaluates the classifier with a graph and back-propagates the summed loss to its input. */
    public static Result lossAndGradient(
            Classifier classifier, Objective objective, NDArray images, NDArray labels) {
        try (NDManager scope = NDManager.subManagerOf(images)) {
            scope.tempAttachAll(images, labels);
            NDArray leaf = PtAutograd.leaf(images);
            NDArray loss;
            NDArray logits;
            try (PtAutograd.Mode grad = PtAutograd.enabled()) {
                logits = classifier.logits(leaf);
                loss = objective.perRow(logits, labels);
                PtAutograd.backward(loss, loss.onesLike());
            }
            NDArray g = PtAutograd.gradientOf(leaf);
            return new Result(
                    scope.ret(loss.stopGradient()), scope.ret(logits.stopGradient()), scope.ret(g));
        }
    }
}
