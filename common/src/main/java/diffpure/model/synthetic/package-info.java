/**
 * Small deterministic models built from tensor operations (no files): a Gaussian-data score model
 * with a known exact score, a tanh MLP score model, and linear or MLP classifiers. For tests and
 * the memory benchmark.
 */
package diffpure.model.synthetic;
