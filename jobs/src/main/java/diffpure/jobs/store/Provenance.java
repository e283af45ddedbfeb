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
 */
public record Provenance(
        String runId,
        String gitSha,
        String configHash,
        String scoreModelName,
        String scoreModelSha256,
        String classifierName,
        String classifierSha256,
        String datasetSource)
        implements Serializable {}
