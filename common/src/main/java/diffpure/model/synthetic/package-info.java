/**
 * Small deterministic models built from tensor operations (no files): a Gaussian-data score model
 * with a known exact score, a tanh MLP score model, linear or MLP classifiers (for tests and the
 * memory benchmark), and the analytic chain defence ({@link
 * diffpure.model.synthetic.AnalyticDefence}): Gaussian-mixture data, the mixture's exact diffused
 * score and its Bayes classifier, for measuring attacks on thousands of samples.
 */
package diffpure.model.synthetic;
