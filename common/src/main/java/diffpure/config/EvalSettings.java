package diffpure.config;

import java.io.Serializable;

/**
 * The voting protocol ({@link diffpure.eval.RobustnessEvaluator}).
 *
 * @param votes K purify-and-classify votes on the clean and on the adversarial image
 * @param cleanDuringCap most clean evaluations per sample matched to the attack's count (0: no cap)
 * @param chunk most copies per model call for those clean evaluations
 */
public record EvalSettings(int votes, long cleanDuringCap, int chunk) implements Serializable {}
