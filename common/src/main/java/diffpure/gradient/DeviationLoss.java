package diffpure.gradient;

import java.io.Serializable;

/**
 * DiffAttack's deviated-reconstruction loss (Kang et al., NeurIPS 2023). DiffAttack has no official
 * code; the definition is the one of DiffBreak's reimplementation (Kassis et al., {@code
 * DiffBreak/utils/losses.py}, class DiffAttack, which the attack maximises together with the
 * classification loss): each row's loss becomes
 *
 * <pre>
 *   L_cls + weight · Σ_{k ∈ S} mean over elements of (y_k − x_k)²,
 *   x_k = sqrt(abar_k) (2x − 1) + sqrt(1 − abar_k) ε,
 * </pre>
 *
 * y_k the reverse chain's state k in the chain's [−1, 1] scale, x_k the forward diffusion of the
 * current input x to state k's time ({@link diffpure.sde.ReverseChain#stateAlphaBar}) with the ε
 * that started the chain, held constant (no gradient through x_k, as DiffBreak detaches x), and S
 * the intermediate states y_1 .. y_{N−1} (not y_0, which is x_0 itself, nor the output). weight = 1
 * is DiffBreak's weighting (a per-element mean per step, summed over steps with equal factors).
 * Maximising the term pushes the reconstruction away from the diffused input at every step, so the
 * purified image ends away from x.
 *
 * <p>With {@code steps} = m in [1, N − 2], each row (one EOT copy of one draw) takes m of the N − 1
 * states uniformly at random, from its own noise key ({@link #SELECTION_STEP}), and the sum is
 * scaled by (N − 1) / m: an unbiased estimate of the full sum. DiffAttack's own segment-wise
 * sampling of steps is a memory device; our exact gradients hold every state anyway.
 *
 * <p>The gradient enters the backward walk at the selected states: {@code exact}, {@code
 * checkpointed}, {@code backprop} and {@code surrogate} (through the surrogate chain's states)
 * carry it; {@code adjoint} and {@code bpda} refuse it by name ({@link
 * GradientMode#withDeviation}). It costs no model call; a call holds two more states per row (the
 * centred input and the starting draw), which {@link MemoryModel} does not count.
 *
 * @param weight lambda (attack.deviation-weight), finite and &gt;= 0; 0 = off
 * @param steps m (attack.deviation-steps): states sampled per row; 0 (or N − 1 or more) = all
 */
public record DeviationLoss(double weight, int steps) implements Serializable {
    /** No deviation term: the classification loss alone. */
    public static final DeviationLoss OFF = new DeviationLoss(0, 0);

    /**
     * The noise step each row's sample of states is drawn at: above any chain's steps ({@link
     * diffpure.sde.TimeGrid} stops at 10^7) and below {@link FreshNoise}'s offset 2^31, so it
     * shares no counter with a chain's draws, fresh or not.
     */
    static final long SELECTION_STEP = 1L << 30;

    /**
     * @throws IllegalArgumentException naming attack.deviation-weight or attack.deviation-steps
     */
    public DeviationLoss {
        if (!(weight >= 0) || !Double.isFinite(weight)) {
            throw new IllegalArgumentException(
                    "attack.deviation-weight must be a finite number >= 0, found " + weight);
        }
        if (steps < 0) {
            throw new IllegalArgumentException(
                    "attack.deviation-steps must be >= 0 (0: every intermediate state), found "
                            + steps);
        }
    }

    /** Whether the term is off (weight 0): the classification loss alone, bit for bit. */
    public boolean isOff() {
        return weight == 0;
    }

    /** For logs and the attack's name in result rows. */
    public String describe() {
        return "deviation weight "
                + weight
                + (steps == 0 ? ", every intermediate state" : ", " + steps + " sampled states");
    }
}
