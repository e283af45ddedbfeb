package diffpure.config;

import java.io.Serializable;

/**
 * What a model manifest may declare before it is believed: it is read before its model's sha256 is
 * checked, so it is untrusted input, and its input shape sizes the probe and every batch. The
 * config keys are {@code limits.manifest-*} (reference.conf); {@link #DEFAULTS} holds the same
 * values for code that reads without an experiment config, and a test keeps the two equal.
 *
 * @param bytes largest manifest file, checked before it is parsed ({@code limits.manifest-bytes})
 * @param inputElements most elements C x H x W of one input ({@code
 *     limits.manifest-input-elements})
 * @param classes most classes a classifier may declare ({@code limits.manifest-classes})
 */
public record ManifestLimits(long bytes, long inputElements, int classes) implements Serializable {
    /** The reference.conf values. */
    public static final ManifestLimits DEFAULTS = new ManifestLimits(1L << 20, 1L << 24, 100_000);

    public ManifestLimits {
        if (bytes < 1 || inputElements < 1 || classes < 2) {
            throw new IllegalArgumentException(
                    "manifest limits must be >= 1 (classes >= 2), found "
                            + bytes
                            + ", "
                            + inputElements
                            + ", "
                            + classes);
        }
    }
}
