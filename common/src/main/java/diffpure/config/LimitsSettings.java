package diffpure.config;

import java.io.Serializable;

/**
 * The {@code limits.*} keys: sizes refused before memory is allocated for them, so that a small
 * hostile file cannot exhaust a driver or an executor (docs/operations.md, bad input). They decide
 * no row of a valid run, so they are not part of the config hash.
 *
 * @param data what the data readers accept
 * @param manifests what a model manifest may declare
 */
public record LimitsSettings(ReadLimits data, ManifestLimits manifests) implements Serializable {
    /** The reference.conf values. */
    public static final LimitsSettings DEFAULTS =
            new LimitsSettings(ReadLimits.DEFAULTS, ManifestLimits.DEFAULTS);
}
