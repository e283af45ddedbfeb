package diffpure.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.function.Consumer;

/** A classifier from a TorchScript file and its manifest. */
public final class PtClassifier extends PtTorchScript implements Classifier {
    private PtClassifier(Path file, Device device, Consumer<ModelCheck> log) {
        super(file, ModelKind.CLASSIFIER, device, log);
    }

    /**
     * Loads and checks a classifier.
     *
     * @throws ModelException naming the file on any problem
     */
    public static PtClassifier load(Path file, Device device) {
        return new PtClassifier(file, device, c -> {});
    }

    /**
     * Loads and checks a classifier, reporting each check it passes.
     *
     * @throws ModelException naming the file and the first check that failed
     */
    public static PtClassifier load(Path file, Device device, Consumer<ModelCheck> log) {
        return new PtClassifier(file, device, log);
    }

    @Override
    public NDArray logits(NDArray x) {
        return forward(x);
    }

    @Override
    public NDArray forwardImages(NDArray images) {
        return logits(images);
    }

    @Override
    public int classes() {
        return manifest().classes();
    }
}
