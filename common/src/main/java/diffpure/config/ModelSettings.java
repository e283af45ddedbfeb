package diffpure.config;

import java.io.Serializable;

/**
 * The models, as paths or URIs of TorchScript files with their manifests beside them.
 *
 * @param scoreModel the score (noise-prediction) model, config key model.score-model
 * @param classifier the classifier
 * @param perceptual the perceptual model (kind perceptual) an lpips threat model is measured by,
 *     config key model.perceptual; empty for every other threat model
 * @param manifestLimits what their manifests may declare ({@code limits.manifest-*})
 */
public record ModelSettings(
        String scoreModel, String classifier, String perceptual, ManifestLimits manifestLimits)
        implements Serializable {
    /** Whether a perceptual model is set. */
    public boolean hasPerceptual() {
        return !perceptual.isEmpty();
    }
}
