package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The norms attacks are bounded in: two on the image perturbation (Linf, L2), one on a per-pixel
 * flow field (StAdv's spatial threat model), which bounds how far pixels move, not how much the
 * image changes, and a perceptual distance (LPIPS, the LF attack's), which a network measures.
 */
public enum Norm {
    /** Largest absolute pixel change. */
    LINF("Linf"),
    /** Euclidean length of the perturbation. */
    L2("L2"),
    /**
     * Largest absolute component of a flow field (StAdv), in grid_sample's normalised coordinates:
     * a flow of 0.05 moves a pixel by 0.05 W / 2 pixels (0.7 on 28 x 28). Applied to an array it is
     * the Linf norm of the flow.
     */
    FLOW_LINF("flow-Linf"),
    /**
     * A perceptual distance measured by a network (model.perceptual, e.g. LPIPS-VGG): no formula
     * here; {@link ThreatModel#checkPerceptual} measures it with the network.
     */
    LPIPS("lpips");

    private final String label;

    Norm(String label) {
        this.label = label;
    }

    /**
     * The spelling used in config, result rows and the reference code ("Linf", "L2", "flow-Linf",
     * "lpips").
     */
    public String label() {
        return label;
    }

    /** The norm by its label, case-insensitive. */
    public static Norm byLabel(String name) {
        for (Norm n : values()) {
            if (n.label.equalsIgnoreCase(name.trim())) {
                return n;
            }
        }
        throw new IllegalArgumentException(
                "attack.norm must be Linf, L2, flow-Linf (StAdv) or lpips (lf), found '"
                        + name
                        + "'");
    }

    /**
     * Whether the norm bounds the image perturbation itself (Linf, L2), as every attack but StAdv
     * and LF needs.
     */
    public boolean boundsImage() {
        return this == LINF || this == L2;
    }

    private void requireFormula() {
        if (this == LPIPS) {
            throw new IllegalStateException(
                    "lpips is measured by a perceptual network (model.perceptual), not a formula");
        }
    }

    /** Per-row norms of d float32[B, ...]: float32[B]. */
    public NDArray of(NDArray d) {
        requireFormula();
        try (NDManager scope = NDManager.subManagerOf(d)) {
            scope.tempAttachAll(d);
            NDArray flat = d.reshape(d.getShape().get(0), -1);
            NDArray n =
                    this == L2
                            ? flat.square().sum(new int[] {1}).sqrt()
                            : flat.abs().max(new int[] {1});
            return scope.ret(n);
        }
    }

    /** Per-row norm of a host vector, in double precision. */
    public double of(float[] d, int offset, int length) {
        requireFormula();
        double acc = 0;
        for (int i = offset; i < offset + length; i++) {
            acc = this == L2 ? acc + (double) d[i] * d[i] : Math.max(acc, Math.abs(d[i]));
        }
        return this == L2 ? Math.sqrt(acc) : acc;
    }

    /** d divided row by row by its norm plus 1e-12, as the reference's {@code normalize}. */
    public NDArray normalize(NDArray d) {
        try (NDManager scope = NDManager.subManagerOf(d)) {
            scope.tempAttachAll(d);
            return scope.ret(d.div(Tensors.perRow(of(d).add(1e-12f), d)));
        }
    }
}
