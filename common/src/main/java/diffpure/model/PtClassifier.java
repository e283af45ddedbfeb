package diffpure.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;

/** A classifier from a TorchScript file and its manifest. */
public final class PtClassifier extends PtTorchScript implements Classifier {
    private PtClassifier(Path file, Device device) {
        super(file, ModelKind.CLASSIFIER, device);
        checkProbe();
    }

    /**
     * Loads and checks a classifier.
     *
     * @throws ModelException naming the file on any problem
     */
    public static PtClassifier load(Path file, Device device) {
        return new PtClassifier(file, device);
    }

    @Override
    public NDArray logits(NDArray x) {
        return forward(x);
    }

    @Override
    public int classes() {
        return manifest().classes();
    }

    @Override
    protected NDArray probeOutput(NDManager scope) {
        return logits(probeImages(scope, 0f, 1f));
    }

    @Override
    protected Shape probeOutputShape() {
        return new Shape(GoldenProbe.ROWS, manifest().classes());
    }
}
