package diffpure.gradient;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Every gradient mode, by the name config and result rows spell it: how it is built and the bytes
 * one row of one call needs ({@link MemoryModel}). A new mode is one more entry in {@link #MODES};
 * config (attack.gradient-mode), the memory model and {@link GradientPlan} read it from here.
 */
public final class GradientModes {
    /**
     * One mode.
     *
     * @param name the name in config and result rows (also {@link GradientMode#name()})
     * @param create builds the mode from its options (modes hold no state between calls; a new one
     *     is cheap)
     * @param bytesPerRow bytes one row (one image × one EOT copy) of one call needs: what the mode
     *     keeps across the chain plus the model graph alive at its peak plus one step's temporaries
     */
    public record Registered(
            String name,
            Function<GradientOptions, GradientMode> create,
            ToLongFunction<MemoryModel> bytesPerRow) {}

    /**
     * The modes, in documentation order. With S the bytes of one state, G_score and G_clf the
     * per-image graph bytes, N the chain length and T one step's temporaries ({@link
     * MemoryModel#tempBytes()}):
     *
     * <ul>
     *   <li>{@code exact}: N S + 2 max(G_score, G_clf) + T (the stored states, and one
     *       vector-Jacobian product at a time: a graph and, while back-propagating it, its
     *       activations' gradients);
     *   <li>{@code checkpointed}: (ceil(N / k) + k) S + 2 max(G_score, G_clf) + T, k the interval
     *       of {@link StoredStatesGradient#checkpointed()} (the checkpoints and one rebuilt
     *       segment);
     *   <li>{@code adjoint}: 2 max(G_score, G_clf) + T;
     *   <li>{@code backprop}: N (G_score + S) + max(G_score, 2 G_clf) + T (every step's graph and
     *       input state stay alive until the loss is back-propagated, which then holds one model's
     *       gradients at a time);
     *   <li>{@code bpda}: max(G_score, 2 G_clf) + T (a purification without a graph, then the
     *       classifier's gradient);
     *   <li>{@code surrogate}: as {@code exact}, an upper bound (it stores N_s &lt;= N states; the
     *       defence chain's forward after it keeps no graph).
     * </ul>
     *
     * <p>{@code auto} ({@link GradientPlan}) never picks {@code surrogate}: it is not the defence's
     * gradient.
     */
    private static final List<Registered> MODES =
            List.of(
                    new Registered(
                            "exact",
                            o -> StoredStatesGradient.exact(),
                            m -> (long) m.steps() * m.stateBytes() + backPropagated(m)),
                    new Registered(
                            "checkpointed",
                            o -> StoredStatesGradient.checkpointed(),
                            m -> {
                                int k = StoredStatesGradient.checkpointed().intervalFor(m.steps());
                                long kept = (m.steps() + k - 1) / k + k;
                                return kept * m.stateBytes() + backPropagated(m);
                            }),
                    new Registered(
                            "adjoint", o -> new AdjointGradient(), GradientModes::backPropagated),
                    new Registered(
                            "backprop",
                            o -> new BackpropGradient(),
                            m ->
                                    (long) m.steps() * (m.scoreModelGraphBytes() + m.stateBytes())
                                            + classifierGradient(m)),
                    new Registered(
                            "bpda", o -> new BpdaGradient(), GradientModes::classifierGradient),
                    new Registered(
                            "surrogate",
                            o ->
                                    new SurrogateGradient(
                                            o.surrogateSteps(),
                                            o.surrogateNoise(),
                                            o.surrogateEvaluation()),
                            m -> (long) m.steps() * m.stateBytes() + backPropagated(m)));

    /** Every mode name, in documentation order. */
    public static final List<String> NAMES = MODES.stream().map(Registered::name).toList();

    private GradientModes() {}

    /** One vector-Jacobian product at a time: a graph and its activations' gradients, plus T. */
    private static long backPropagated(MemoryModel m) {
        return 2 * Math.max(m.scoreModelGraphBytes(), m.classifierGraphBytes()) + m.tempBytes();
    }

    /** The classifier's gradient after a graph-free score model call, plus T. */
    private static long classifierGradient(MemoryModel m) {
        return Math.max(m.scoreModelGraphBytes(), 2 * m.classifierGraphBytes()) + m.tempBytes();
    }

    /**
     * The registered mode with the given name (case-insensitive, surrounding blanks ignored).
     *
     * @throws IllegalArgumentException naming attack.gradient-mode and listing the valid names
     */
    public static Registered registered(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Registered r : MODES) {
            if (r.name().equals(n)) {
                return r;
            }
        }
        throw new IllegalArgumentException(
                "attack.gradient-mode must be one of " + NAMES + ", found '" + name + "'");
    }

    /**
     * A new instance of the mode with the given name.
     *
     * @throws IllegalArgumentException listing the valid names
     */
    public static GradientMode byName(String name) {
        return byName(name, GradientOptions.NONE);
    }

    /**
     * A new instance of the mode with the given name and options.
     *
     * @throws IllegalArgumentException listing the valid names, or naming the option a mode refuses
     *     (surrogate without attack.surrogate-steps)
     */
    public static GradientMode byName(String name, GradientOptions options) {
        return registered(name).create().apply(options);
    }

    /**
     * What attack.gradient-mode accepts: {@link GradientPlan#AUTO}, resolved through the memory
     * budget, then every mode name.
     */
    public static List<String> configurable() {
        List<String> out = new ArrayList<>();
        out.add(GradientPlan.AUTO);
        out.addAll(NAMES);
        return List.copyOf(out);
    }
}
