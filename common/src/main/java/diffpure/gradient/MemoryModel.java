package diffpure.gradient;

import java.util.Locale;

/**
 * Bytes one row (one image × one EOT copy) of one model call needs, per gradient mode: what the
 * mode keeps across the chain of N steps plus the model graph alive at its peak plus one step's
 * temporaries. Each mode's formula is registered with the mode ({@link GradientModes}); here are
 * the figures they use: S = 4E bytes per float32 state of E elements, G_score and G_clf the
 * per-image graph bytes of the score model and the classifier ({@link GraphBytes}), T = {@link
 * #TEMP_STATES} S, and a forward without a graph (purification, votes): max(G_score, G_clf) + T (it
 * holds at most what a graph would keep).
 *
 * <p>The factor 2 on a back-propagated graph is measured, not assumed: on the demo models an {@code
 * exact} row at N = 10 adds 5.8 MiB to the resident peak for G_score = 3.0 MiB (BENCHMARKS.md,
 * memory budget). Plain arithmetic, no tensors: the driver can use it with the figures from the
 * models' manifests.
 *
 * @param steps chain length N
 * @param stateElements elements of one state, the score model's image (C H W)
 * @param scoreModelGraphBytes G_score, bytes per image
 * @param classifierGraphBytes G_clf, bytes per image
 */
public record MemoryModel(
        int steps, long stateElements, long scoreModelGraphBytes, long classifierGraphBytes) {
    /**
     * States' worth of one step's temporaries (state, next state, eps, noise, products, adjoint).
     */
    public static final int TEMP_STATES = 8;

    /** Name of the no-graph forward in {@link #bytesPerRow}. */
    public static final String FORWARD = "forward";

    public MemoryModel {
        if (steps < 0
                || stateElements < 1
                || scoreModelGraphBytes < 0
                || classifierGraphBytes < 0) {
            throw new IllegalArgumentException(
                    "memory model needs steps >= 0, state elements >= 1 and graph bytes >= 0, found "
                            + steps
                            + ", "
                            + stateElements
                            + ", "
                            + scoreModelGraphBytes
                            + ", "
                            + classifierGraphBytes);
        }
    }

    /** Bytes of one float32 state. */
    public long stateBytes() {
        return 4 * stateElements;
    }

    /** Bytes of one step's temporaries, T = {@link #TEMP_STATES} states. */
    public long tempBytes() {
        return TEMP_STATES * stateBytes();
    }

    /**
     * Bytes one row needs under a gradient mode ({@link GradientModes}), or {@link #FORWARD} for a
     * forward without a graph.
     *
     * @throws IllegalArgumentException for an unknown mode
     */
    public long bytesPerRow(String mode) {
        if (mode.equals(FORWARD)) {
            return Math.max(scoreModelGraphBytes, classifierGraphBytes) + tempBytes();
        }
        return GradientModes.registered(mode).bytesPerRow().applyAsLong(this);
    }

    /** Most rows of one call that fit in {@code budget} bytes under a mode (0 when none does). */
    public long rowsWithin(String mode, long budget) {
        return budget / bytesPerRow(mode);
    }

    /** The inputs, for error messages. */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "N = %d steps, %d-element states, eps graph %s and classifier graph %s per image",
                steps,
                stateElements,
                bytes(scoreModelGraphBytes),
                bytes(classifierGraphBytes));
    }

    /** A byte count as MiB with the exact figure, e.g. "3.1 MiB (3250176 bytes)". */
    public static String bytes(long b) {
        return String.format(Locale.ROOT, "%.1f MiB (%d bytes)", b / 1048576.0, b);
    }
}
