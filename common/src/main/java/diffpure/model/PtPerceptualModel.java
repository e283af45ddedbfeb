package diffpure.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import diffpure.config.ManifestLimits;
import java.nio.file.Path;
import java.util.function.Consumer;

/** A perceptual model (kind perceptual) from a TorchScript file and its manifest. */
public final class PtPerceptualModel extends PtTorchScript implements PerceptualDistance {
    private PtPerceptualModel(
            Path file, Device device, ManifestLimits limits, Consumer<ModelCheck> log) {
        super(file, ModelKind.PERCEPTUAL, device, limits, log);
    }

    /**
     * Loads and checks a perceptual model, reporting each check it passes.
     *
     * @throws ModelException naming the file and the first check that failed
     */
    public static PtPerceptualModel load(Path file, Device device, Consumer<ModelCheck> log) {
        return new PtPerceptualModel(file, device, ManifestLimits.DEFAULTS, log);
    }

    /**
     * Loads and checks a perceptual model whose manifest is read within a run's {@code
     * limits.manifest-*}.
     *
     * @throws ModelException naming the file on any problem
     */
    public static PtPerceptualModel load(Path file, Device device, ManifestLimits limits) {
        return new PtPerceptualModel(file, device, limits, c -> {});
    }

    @Override
    public NDArray distance(NDArray a, NDArray b) {
        return forward(a, b);
    }

    /** Each image's distance to its negative 1 - image: a call with two distinct inputs. */
    @Override
    public NDArray forwardImages(NDArray images) {
        return distance(images, images.neg().add(1f));
    }
}
