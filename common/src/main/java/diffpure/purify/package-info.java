/**
 * Purifiers: forward diffusion of the input and a reverse chain through the eps model, batched over
 * image rows with one noise key per row (EOT copies are rows).
 */
package diffpure.purify;
