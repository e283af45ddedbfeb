package diffpure.config;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * What the packages that build a run's strategies (attacks, gradient modes, purifiers, data sets)
 * accept, handed to {@link ConfigLoader} by the code that sees them all ({@code
 * diffpure.experiment.Experiments}): config reads plain records and never builds a strategy itself,
 * so a new attack, gradient mode, purifier or format is added in its own package alone.
 *
 * @param choices the accepted spellings of each key in {@link #KEYS}, matched ignoring case; the
 *     record holds the spelling listed here
 * @param check builds every strategy once from a loaded config; the {@link
 *     IllegalArgumentException} it throws for settings that do not go together becomes a {@link
 *     ConfigError} saying where attack.name was set
 * @param attackIterations the iterations the configured attack runs (its preset's when {@code
 *     attack.iterations} is 0), which the sanity checks multiply by {@code
 *     sanity.iteration-factor}; checked against {@code limits.attack-iterations}
 */
public record Strategies(
        Map<String, List<String>> choices,
        Consumer<ExperimentConfig> check,
        ToIntFunction<AttackSettings> attackIterations) {
    /** The keys whose values name a strategy. */
    public static final List<String> KEYS =
            List.of(
                    "data.format",
                    "purify.kind",
                    "purify.forward-alpha-bar",
                    "purify.resize",
                    "attack.name",
                    "attack.norm",
                    "attack.gradient-mode");

    public Strategies {
        choices = Map.copyOf(choices);
        if (!choices.keySet().equals(Set.copyOf(KEYS))) {
            throw new IllegalArgumentException(
                    "strategies must list the choices of " + KEYS + ", found " + choices.keySet());
        }
    }
}
