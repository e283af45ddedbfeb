package diffpure.gradient;

import ai.djl.ndarray.NDArray;

/**
 * What a gradient mode returns for a block of rows, all from one stochastic draw.
 *
 * @param loss per-row loss float32[R]
 * @param logits float32[R, K] of the purified rows
 * @param gradient d loss_r / d x_r, float32[R, C, H, W]
 * @param diagnostics what the mode measured while computing it
 */
public record RowGradient(
        NDArray loss, NDArray logits, NDArray gradient, GradientDiagnostics diagnostics) {}
