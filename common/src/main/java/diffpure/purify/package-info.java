/**
 * Purifiers: forward diffusion of the input and a reverse chain through the score model, batched
 * over image rows with one noise key per row (EOT copies are rows); the chain is walked by one
 * runner whose step observers decide what to keep.
 */
package diffpure.purify;
