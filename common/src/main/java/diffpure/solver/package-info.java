/**
 * Integrators: they turn a problem (a reverse SDE or ODE on a time grid, or the discrete DDPM
 * chain) into a {@link diffpure.sde.ReverseChain} of affine steps. They never log, write files or
 * touch tensors.
 */
package diffpure.solver;
