package diffpure.config;

import java.io.Serializable;

/**
 * The two models, as paths or URIs of TorchScript files with their manifests beside them.
 *
 * @param eps the score (noise-prediction) model
 * @param classifier the classifier
 */
public record ModelSettings(String eps, String classifier) implements Serializable {}
