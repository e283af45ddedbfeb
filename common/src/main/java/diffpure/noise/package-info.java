/**
 * Counter-based randomness: every Gaussian draw is a pure function of (run seed, sample id,
 * purpose, draw, copy, step), so retries, resumes and the adjoint's backward reconstruction see
 * exactly the same noise.
 */
package diffpure.noise;
