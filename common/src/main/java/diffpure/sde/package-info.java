/**
 * The problems: the VP-SDE schedule, its reverse-time SDE and probability-flow ODE written as
 * drifts that are affine in (state, predicted noise), explicit time grids, and the reverse chain
 * they discretise to, and which alpha-bar the forward diffusion uses.
 */
package diffpure.sde;
