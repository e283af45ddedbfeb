/**
 * The evaluation protocol: K purify-and-classify votes per clean and adversarial image,
 * during-attack counts, the accuracies one run yields (single, majority-of-K, mean-of-K,
 * worst-of-K, during-attack) with Wilson intervals or anytime-valid confidence sequences, McNemar
 * comparisons, and gradient-masking sanity checks.
 */
package diffpure.eval;
