package diffpure.model;

import java.util.Locale;

/**
 * The three calling conventions every TorchScript file follows: a score model maps (x in [-1,1], t
 * in (0,1]) to its predicted noise, a classifier maps x in [0,1] to logits, a perceptual model maps
 * two image batches (a, b in [0,1]) to one distance per row; any time-label scaling or input
 * normalisation happens inside the model.
 */
public enum ModelKind {
    /** A score (noise-prediction) model: (x in [-1,1], t in (0,1]) -&gt; predicted noise. */
    SCORE_MODEL("score-model"),
    /** (x in [0,1]) -&gt; logits. */
    CLASSIFIER("classifier"),
    /**
     * (a in [0,1], b in [0,1], both [N,C,H,W]) -&gt; float32[N], a perceptual distance per row
     * (LPIPS), for threat models bounded by perceived change rather than a pixel norm.
     */
    PERCEPTUAL("perceptual");

    /** The kind manifests written before the rename to score-model carry (models/demo/eps.json). */
    private static final String LEGACY_SCORE_MODEL = "eps";

    private final String label;

    ModelKind(String label) {
        this.label = label;
    }

    /** The kind as manifests and the command line spell it: score-model, classifier, perceptual. */
    public String label() {
        return label;
    }

    /**
     * The kind a manifest names: its label, or {@code eps}, which manifests written before the
     * rename (the committed demo models among them) say for a score model.
     *
     * @throws IllegalArgumentException naming the valid kinds
     */
    public static ModelKind ofManifest(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals(LEGACY_SCORE_MODEL)) {
            return SCORE_MODEL;
        }
        return ofLabel(n);
    }

    /**
     * The kind with this label.
     *
     * @throws IllegalArgumentException naming the valid kinds
     */
    public static ModelKind ofLabel(String name) {
        for (ModelKind k : values()) {
            if (k.label.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException(
                "kind must be score-model, classifier or perceptual, found '" + name + "'");
    }
}
