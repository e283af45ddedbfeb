package diffpure.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import diffpure.config.ManifestLimits;
import java.nio.file.Path;
import java.util.function.Consumer;

/** A score model from a TorchScript file and its manifest. */
public final class PtScoreModel extends PtTorchScript implements ScoreModel {
    private PtScoreModel(
            Path file, Device device, ManifestLimits limits, Consumer<ModelCheck> log) {
        super(file, ModelKind.SCORE_MODEL, device, limits, log);
    }

    /**
     * Loads and checks a score model.
     *
     * @throws ModelException naming the file on any problem
     */
    public static PtScoreModel load(Path file, Device device) {
        return new PtScoreModel(file, device, ManifestLimits.DEFAULTS, c -> {});
    }

    /**
     * Loads and checks a score model, reporting each check it passes.
     *
     * @throws ModelException naming the file and the first check that failed
     */
    public static PtScoreModel load(Path file, Device device, Consumer<ModelCheck> log) {
        return new PtScoreModel(file, device, ManifestLimits.DEFAULTS, log);
    }

    /**
     * Loads and checks a score model whose manifest is read within a run's {@code
     * limits.manifest-*}.
     *
     * @throws ModelException naming the file on any problem
     */
    public static PtScoreModel load(Path file, Device device, ManifestLimits limits) {
        return new PtScoreModel(file, device, limits, c -> {});
    }

    @Override
    public NDArray predictNoise(NDArray y, NDArray t) {
        return forward(y, t);
    }

    @Override
    public NDArray forwardImages(NDArray images) {
        NDArray t =
                images.getManager()
                        .full(
                                new Shape(images.getShape().get(0)),
                                manifest().probe().times().get(0).floatValue());
        return predictNoise(images, t);
    }

    @Override
    public double minTime() {
        return manifest().minTime();
    }

    @Override
    public double maxTime() {
        return manifest().maxTime();
    }
}
