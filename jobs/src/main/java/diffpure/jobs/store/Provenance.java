package diffpure.jobs.store;

import java.io.Serializable;

/**
 * What every row carries besides its results, fixed on the driver when a run starts.
 *
 * @param runId run id
 * @param gitSha commit of the code ("unknown" outside a checkout)
 * @param configHash sha256 of the rendered config
 * @param scoreModelName score model name (manifest)
 * @param scoreModelSha256 score model sha256 (manifest)
 * @param classifierName classifier name (manifest)
 * @param classifierSha256 classifier sha256 (manifest)
 * @param datasetSource where the data come from
 * @param perceptualSha256 the perceptual model's sha256 (manifest) for an lpips threat model; empty
 *     otherwise
 */
public record Provenance(
        String runId,
        String gitSha,
        String configHash,
        String scoreModelName,
        String scoreModelSha256,
        String classifierName,
        String classifierSha256,
        String datasetSource,
        String perceptualSha256)
        implements Serializable {
    /** Hex digits of the perceptual model's sha256 in the threat model's label. */
    public static final int NORM_SHA_DIGITS = 16;

    /**
     * The threat model's label in the samples table's norm column: the configured norm, and for
     * lpips the network that measures it, "lpips:&lt;first 16 hex digits of its sha256&gt;", so
     * that runs bounded by different networks are never one setting.
     */
    public String normLabel(String norm) {
        return perceptualSha256.isEmpty()
                ? norm
                : norm + ":" + perceptualSha256.substring(0, NORM_SHA_DIGITS);
    }
}
