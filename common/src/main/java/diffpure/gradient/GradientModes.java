package diffpure.gradient;

import java.util.List;
import java.util.Locale;

/** Gradient modes by name, as config and result rows spell them. */
public final class GradientModes {
    /** Every mode name, in documentation order. */
    public static final List<String> NAMES =
            List.of("exact", "checkpointed", "adjoint", "backprop", "bpda");

    private GradientModes() {}

    /**
     * The mode with the given name.
     *
     * @throws IllegalArgumentException listing the valid names
     */
    public static GradientMode byName(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "exact" -> StoredStatesGradient.exact();
            case "checkpointed" -> StoredStatesGradient.checkpointed();
            case "adjoint" -> new AdjointGradient();
            case "backprop" -> new BackpropGradient();
            case "bpda" -> new BpdaGradient();
            default ->
                    throw new IllegalArgumentException(
                            "attack.gradient-mode must be one of "
                                    + NAMES
                                    + ", found '"
                                    + name
                                    + "'");
        };
    }
}
