package diffpure.model.synthetic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.Classifier;

/**
 * logits = flat(x) W + b with seeded Gaussian weights; optionally a tanh hidden layer in between.
 */
public final class LinearClassifier implements Classifier {
    private final Shape imageShape;
    private final int classes;
    private final NDArray w;
    private final NDArray b;
    private final String description;

    public LinearClassifier(NDManager manager, Shape imageShape, int classes, long seed) {
        this.imageShape = imageShape;
        this.classes = classes;
        int dim = (int) imageShape.size();
        this.w = Weights.gaussian(manager, seed, 11, 3.0 / Math.sqrt(dim), new Shape(dim, classes));
        this.b = Weights.gaussian(manager, seed, 12, 0.1, new Shape(1, classes));
        this.description = "linear-classifier(classes=" + classes + ", seed=" + seed + ")";
    }

    @Override
    public NDArray logits(NDArray x) {
        return x.reshape(x.getShape().get(0), -1).matMul(w).add(b);
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public Shape imageShape() {
        return imageShape;
    }

    @Override
    public String describe() {
        return description;
    }
}
