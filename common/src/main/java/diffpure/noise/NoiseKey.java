package diffpure.noise;

/**
 * Names one independent Gaussian stream: the noise for one image row of one purification.
 *
 * <p>{@code draw} counts repeated purifications of the same sample for the same purpose (attack
 * iteration, vote index); {@code copy} is the EOT copy inside one draw. The step index is given
 * when noise is drawn ({@link GaussianNoise#fill}), with -1 meaning the forward-diffusion draw.
 *
 * @param runSeed the run's seed
 * @param sampleId the stable id of the sample
 * @param purpose why the draw is made
 * @param draw which repetition
 * @param copy which EOT copy, 0 .. 2^24-1
 */
public record NoiseKey(long runSeed, long sampleId, Purpose purpose, long draw, int copy) {
    /** Largest EOT copy index that fits the counter layout. */
    public static final int MAX_COPY = (1 << 24) - 1;

    public NoiseKey {
        if (copy < 0 || copy > MAX_COPY) {
            throw new IllegalArgumentException(
                    "EOT copy index must be in [0, " + MAX_COPY + "], found " + copy);
        }
        if (draw < 0 || draw > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("draw index must be in [0, 2^32), found " + draw);
        }
    }

    /** The same key with another draw index. */
    public NoiseKey withDraw(long newDraw) {
        return new NoiseKey(runSeed, sampleId, purpose, newDraw, copy);
    }

    /** The same key with another EOT copy. */
    public NoiseKey withCopy(int newCopy) {
        return new NoiseKey(runSeed, sampleId, purpose, draw, newCopy);
    }
}
