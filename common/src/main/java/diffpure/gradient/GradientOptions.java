package diffpure.gradient;

/**
 * The settings a gradient mode takes beyond its name: today those of {@code surrogate}
 * (attack.surrogate-steps, attack.surrogate-noise, attack.surrogate-evaluation). The other modes
 * ignore them.
 *
 * @param surrogateSteps N_s, the surrogate chain's steps; 0 when no surrogate is configured
 * @param surrogateNoise where the surrogate chain's noise comes from
 * @param surrogateEvaluation what judges the attack's iterates
 */
public record GradientOptions(
        int surrogateSteps,
        SurrogateGradient.Noise surrogateNoise,
        SurrogateGradient.Evaluation surrogateEvaluation)
        implements java.io.Serializable {
    /** No surrogate configured. */
    public static final GradientOptions NONE =
            new GradientOptions(0, SurrogateGradient.Noise.SUMMED);

    /** Iterates judged on the defence chain (the default). */
    public GradientOptions(int surrogateSteps, SurrogateGradient.Noise surrogateNoise) {
        this(surrogateSteps, surrogateNoise, SurrogateGradient.Evaluation.DEFENCE);
    }
}
