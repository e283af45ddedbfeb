package diffpure.experiment;

import diffpure.attack.Attacks;
import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.data.Datasets;
import diffpure.gradient.GradientModes;
import diffpure.gradient.GradientPlan;
import diffpure.purify.Purifiers;
import diffpure.sde.VpSchedule;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Loads experiments with the strategies of this build: {@link ConfigLoader} reads and checks the
 * values, and each strategy package says which names it accepts and builds the run's attack and
 * purifier once, so that settings that do not go together are refused before anything runs.
 */
public final class Experiments {
    /** The strategy packages' names and the check that builds a loaded config's strategies. */
    public static final diffpure.config.Strategies STRATEGIES =
            new diffpure.config.Strategies(
                    Map.of(
                            "data.format", Datasets.FORMATS,
                            "purify.kind", Purifiers.KINDS,
                            "purify.forward-alpha-bar", Purifiers.FORWARD_ALPHA_BARS,
                            "purify.resize", Purifiers.RESIZES,
                            "attack.name", Attacks.NAMES,
                            "attack.norm", Attacks.NORMS,
                            "attack.gradient-mode", GradientModes.configurable()),
                    c -> {
                        Purifiers.spec(c.purify());
                        Attacks.build(c.attack());
                        checkSurrogate(c);
                    },
                    a -> Attacks.build(a).iterations());

    /**
     * attack.surrogate-steps goes with gradient mode surrogate only, and within the defence chain's
     * steps.
     */
    private static void checkSurrogate(ExperimentConfig c) {
        boolean surrogate = c.attack().gradientMode().equals("surrogate");
        if (!surrogate && c.attack().surrogateSteps() != 0) {
            throw new IllegalArgumentException(
                    "attack.surrogate-steps is for attack.gradient-mode = surrogate, found"
                            + " gradient-mode "
                            + c.attack().gradientMode());
        }
        if (c.attack().surrogateEvaluation().equals("checkpoints")) {
            if (!surrogate) {
                throw new IllegalArgumentException(
                        "attack.surrogate-evaluation = checkpoints is for attack.gradient-mode ="
                                + " surrogate, found gradient-mode "
                                + c.attack().gradientMode());
            }
            if (c.attack().reEvaluations() > 0) {
                throw new IllegalArgumentException(
                        "attack.surrogate-evaluation = checkpoints cannot run with"
                                + " attack.re-evaluations = "
                                + c.attack().reEvaluations()
                                + " (its stored shares are the figure and must be the defence's"
                                + " own draws)");
            }
        }
        if (surrogate) {
            GradientModes.byName("surrogate", GradientPlan.options(c.attack()));
            // N_s within the defence's steps (the chain's length does not depend on the schedule)
            Purifiers.spec(c.purify())
                    .chain(VpSchedule.DEFAULT)
                    .coarsened(c.attack().surrogateSteps());
        }
    }

    private Experiments() {}

    /** Loads with this JVM's environment and system properties ({@link ConfigLoader#load}). */
    public static ConfigLoader.Loaded load(String experimentFile, List<String> overrides) {
        return load(experimentFile, overrides, System.getenv(), System.getProperties());
    }

    /**
     * Loads an experiment file ({@link ConfigLoader#load}) with the given environment and system
     * properties.
     */
    public static ConfigLoader.Loaded load(
            String experimentFile,
            List<String> overrides,
            Map<String, String> env,
            Properties props) {
        return ConfigLoader.load(experimentFile, overrides, env, props, STRATEGIES);
    }

    /**
     * Loads a config stored by an earlier run ({@link ConfigLoader#loadStored}) with this JVM's
     * environment and system properties.
     */
    public static ConfigLoader.Loaded loadStored(
            String rendered, String description, List<String> overrides) {
        return ConfigLoader.loadStored(
                rendered,
                description,
                overrides,
                System.getenv(),
                System.getProperties(),
                STRATEGIES);
    }
}
