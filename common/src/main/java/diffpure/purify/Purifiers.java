package diffpure.purify;

import diffpure.config.ConfigError;
import diffpure.config.PurifySettings;
import diffpure.model.Classifier;
import diffpure.model.ScoreModel;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.VpSchedule;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The purifier a run's {@link PurifySettings} describe, and the values the purify section accepts
 * (each read from the type that implements it, so a new kind or resize is added there alone).
 */
public final class Purifiers {
    /** What purify.kind accepts. */
    public static final List<String> KINDS =
            Arrays.stream(PurifierSpec.Kind.values()).map(PurifierSpec.Kind::configName).toList();

    /** What purify.forward-alpha-bar accepts. */
    public static final List<String> FORWARD_ALPHA_BARS =
            Arrays.stream(ForwardAlphaBar.values())
                    .map(f -> f.name().toLowerCase(Locale.ROOT))
                    .toList();

    /** What purify.resize accepts. */
    public static final List<String> RESIZES =
            Arrays.stream(InputResize.values()).map(InputResize::configName).toList();

    private Purifiers() {}

    /** purify.resize, parsed. */
    public static InputResize inputResize(PurifySettings s) {
        return InputResize.parse(s.resize());
    }

    /**
     * The purifier for a score model and the classifier after it: {@link #spec} built on the
     * model's schedule, resized to the classifier's input shape where purify.resize allows it.
     *
     * @throws IllegalArgumentException naming both shapes and purify.resize when the models take
     *     different shapes and no resize is configured, or the chain leaves the model's trained
     *     time range
     */
    public static DiffusionPurifier purifier(
            PurifySettings s, ScoreModel scoreModel, VpSchedule schedule, Classifier classifier) {
        return purifier(spec(s), inputResize(s), scoreModel, schedule, classifier);
    }

    /**
     * The purifier of a spec checked earlier ({@link #spec}, on the driver) for a score model and
     * the classifier after it, resized as {@code resize} says.
     *
     * @throws IllegalArgumentException as {@link #purifier(PurifySettings, ScoreModel, VpSchedule,
     *     Classifier)}
     */
    public static DiffusionPurifier purifier(
            PurifierSpec spec,
            InputResize resize,
            ScoreModel scoreModel,
            VpSchedule schedule,
            Classifier classifier) {
        return resize.adapt(
                spec.build(scoreModel, schedule), classifier.imageShape(), classifier.describe());
    }

    /**
     * The purifier spec (checked values).
     *
     * @throws ConfigError naming purify.forward-alpha-bar when it is not discrete or continuous
     * @throws IllegalArgumentException naming purify.kind or a value out of range
     */
    public static PurifierSpec spec(PurifySettings s) {
        ForwardAlphaBar fab =
                switch (s.forwardAlphaBar()) {
                    case "discrete" -> ForwardAlphaBar.DISCRETE;
                    case "continuous" -> ForwardAlphaBar.CONTINUOUS;
                    default ->
                            throw new ConfigError(
                                    "purify.forward-alpha-bar must be discrete or continuous, found"
                                            + " '"
                                            + s.forwardAlphaBar()
                                            + "'");
                };
        return new PurifierSpec(
                PurifierSpec.Kind.parse(s.kind()),
                s.tStar(),
                s.tEnd(),
                s.dt(),
                s.ddpmSteps(),
                fab,
                s.ddpmRespacedSteps());
    }
}
