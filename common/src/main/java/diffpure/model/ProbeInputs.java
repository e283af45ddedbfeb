package diffpure.model;

/**
 * Deterministic probe inputs: SplitMix64 from a seed, the top 24 bits of each output as a float in
 * [0, 1), scaled to [low, high). tools/demo_models.py implements the same generator to record
 * golden probes.
 */
public final class ProbeInputs {
    private ProbeInputs() {}

    /** {@code count} floats uniform in [low, high). */
    public static float[] uniform(long seed, int count, float low, float high) {
        float[] out = new float[count];
        long state = seed;
        for (int i = 0; i < count; i++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);
            float u = (z >>> 40) * (1.0f / (1 << 24));
            out[i] = low + (high - low) * u;
        }
        return out;
    }
}
