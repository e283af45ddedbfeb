package diffpure.config;

import java.io.Serializable;
import java.util.List;

/**
 * The voting protocol ({@link diffpure.eval.RobustnessEvaluator}).
 *
 * @param votes K purify-and-classify votes on the clean and on the adversarial image
 * @param cleanDuringCap most clean evaluations per sample matched to the attack's count (0: no cap)
 * @param cleanDuringCopiesPerCall most copies per model call for those clean evaluations
 * @param stopMetric the accuracy whose confidence sequence a stopping rule watches (a {@link
 *     diffpure.eval.Metric} key)
 * @param targetHalfWidth stop once that sequence's half-width is at most this; 0: no target
 */
public record EvalSettings(
        int votes,
        long cleanDuringCap,
        int cleanDuringCopiesPerCall,
        String stopMetric,
        double targetHalfWidth)
        implements Serializable {
    /** The accuracies a stopping rule may watch ({@code diffpure.eval.Metric} keys). */
    public static final List<String> STOP_METRICS =
            List.of(
                    "single",
                    "majority",
                    "mean",
                    "worst",
                    "any",
                    "during-attack",
                    "averaged-logit");
}
