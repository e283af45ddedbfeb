package diffpure.purify;

import ai.djl.ndarray.types.Shape;
import java.util.Locale;

/**
 * How a classifier's images reach a score model of another size (config key {@code purify.resize}).
 * The pairing of models with different input shapes is allowed only where the config names the
 * resize.
 */
public enum InputResize {
    /** The score model and the classifier must take the same input shape. */
    NONE,
    /**
     * PyTorch's bilinear interpolation (align_corners=False, no antialiasing) from the classifier's
     * size to the score model's before purification and back after, differentiable, as DiffPure's
     * reference does for ImageNet (224 to 256 and back). See {@link BilinearResize}.
     */
    BILINEAR;

    /** The config key. */
    public static final String KEY = "purify.resize";

    /**
     * Parses none or bilinear.
     *
     * @throws IllegalArgumentException naming purify.resize and the valid values
     */
    public static InputResize parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    KEY + " must be none or bilinear, found '" + name + "'", e);
        }
    }

    /** The config spelling. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The purifier for a classifier taking {@code classifierShape} images: the purifier itself when
     * the shapes agree, else (with {@link #BILINEAR}) one that resizes around the chain.
     *
     * @param classifier the classifier's description, for the error message
     * @throws IllegalArgumentException naming both shapes and purify.resize when they differ and no
     *     resize is configured, or when the channel counts differ
     */
    public DiffusionPurifier adapt(
            DiffusionPurifier purifier, Shape classifierShape, String classifier) {
        Shape model = purifier.imageShape();
        if (classifierShape.equals(model)) {
            return purifier;
        }
        String shapes =
                "the classifier "
                        + classifier
                        + " takes "
                        + classifierShape
                        + " images and the score model "
                        + purifier.model().describe()
                        + " "
                        + model;
        if (classifierShape.dimension() != 3 || classifierShape.get(0) != model.get(0)) {
            throw new IllegalArgumentException(
                    shapes + ": the channel counts differ, which no resize can pair");
        }
        if (this == NONE) {
            throw new IllegalArgumentException(
                    shapes
                            + "; set "
                            + KEY
                            + " = bilinear to resize between them (bilinear to the score model's"
                            + " size before purification and back after, as DiffPure does for"
                            + " ImageNet)");
        }
        return purifier.resizedFrom(classifierShape);
    }
}
