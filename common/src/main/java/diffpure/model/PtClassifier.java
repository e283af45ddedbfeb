package diffpure.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import diffpure.config.ManifestLimits;
import java.nio.file.Path;
import java.util.function.Consumer;

/** A classifier from a TorchScript file and its manifest. */
public final class PtClassifier extends PtTorchScript implements Classifier {
    private PtClassifier(
            Path file, Device device, ManifestLimits limits, Consumer<ModelCheck> log) {
        super(file, ModelKind.CLASSIFIER, device, limits, log);
    }

    /**
     * Loads and checks a classifier.
     *
     * @throws ModelException naming the file on any problem
     */
    public static PtClassifier load(Path file, Device device) {
        return new PtClassifier(file, device, ManifestLimits.DEFAULTS, c -> {});
    }

    /**
     * Loads and checks a classifier, reporting each check it passes.
     *
     * @throws ModelException naming the file and the first check that failed
     */
    public static PtClassifier load(Path file, Device device, Consumer<ModelCheck> log) {
        return new PtClassifier(file, device, ManifestLimits.DEFAULTS, log);
    }

    /**
     * Loads and checks a classifier whose manifest is read within a run's {@code
     * limits.manifest-*}.
     *
     * @throws ModelException naming the file on any problem
     */
    public static PtClassifier load(Path file, Device device, ManifestLimits limits) {
        return new PtClassifier(file, device, limits, c -> {});
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
