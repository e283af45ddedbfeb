package diffpure.noise;

/**
 * Standard normal floats from Philox4x32-10 by the Box-Muller transform, computed with {@link
 * StrictMath} so that the same key gives bit-identical noise on every JVM and processor.
 *
 * <p>Layout: Philox key = a 64-bit mix of (run seed, sample id); counter = (block index, step + 1,
 * draw, purpose ordinal &lt;&lt; 24 | copy). Each block yields four uniforms, hence four normals.
 */
public final class GaussianNoise {
    private static final double TWO_PI = 2.0 * Math.PI;
    private static final double INV_2_32 = 1.0 / 4294967296.0;

    private GaussianNoise() {}

    /**
     * Fills {@code dest[offset .. offset+length)} with the first {@code length} normals of the
     * stream (key, step).
     *
     * @param key the stream
     * @param step reverse-chain step, or -1 for the forward-diffusion draw (any value in [-1,
     *     2^32-2])
     * @param dest the array to fill
     * @param offset first index written
     * @param length how many normals
     */
    public static void fill(NoiseKey key, long step, float[] dest, int offset, int length) {
        long mixed = mix(key.runSeed(), key.sampleId());
        int k0 = (int) mixed;
        int k1 = (int) (mixed >>> 32);
        int[] counter = {
            0, (int) (step + 1), (int) key.draw(), (key.purpose().ordinal() << 24) | key.copy()
        };
        int[] words = new int[4];
        int i = 0;
        int block = 0;
        while (i < length) {
            counter[0] = block++;
            Philox4x32.block(counter, k0, k1, words);
            for (int pair = 0; pair < 2 && i < length; pair++) {
                // u1 in (0, 1] so log(u1) is finite; u2 in [0, 1).
                double u1 = ((words[2 * pair] & 0xFFFFFFFFL) + 1.0) * INV_2_32;
                double u2 = (words[2 * pair + 1] & 0xFFFFFFFFL) * INV_2_32;
                double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
                double angle = TWO_PI * u2;
                dest[offset + i++] = (float) (r * StrictMath.cos(angle));
                if (i < length) {
                    dest[offset + i++] = (float) (r * StrictMath.sin(angle));
                }
            }
        }
    }

    /** A well-mixed 64-bit key from two longs (SplitMix64 finaliser applied twice). */
    static long mix(long a, long b) {
        return fmix(fmix(a ^ 0x9E3779B97F4A7C15L) + b);
    }

    private static long fmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
