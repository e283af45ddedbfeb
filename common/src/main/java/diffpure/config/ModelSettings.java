package diffpure.config;

import java.io.Serializable;

/**
 * The two models, as paths or URIs of TorchScript files with their manifests beside them.
 *
 * @param scoreModel the score (noise-prediction) model, config key model.score-model
 * @param classifier the classifier
 * @param manifestLimits what their manifests may declare ({@code limits.manifest-*})
 */
public record ModelSettings(String scoreModel, String classifier, ManifestLimits manifestLimits)
        implements Serializable {}
