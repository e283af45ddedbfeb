package diffpure.model;

import java.util.List;

/**
 * A fixed input (ProbeInputs from a seed) and what the model must output for it: selected elements,
 * the sum and the L2 norm of the flattened output, each within a tolerance relative to max(1,
 * |expected|). Catches time scaling, export and libtorch drift that shape and finiteness checks
 * miss.
 *
 * @param seed SplitMix64 seed of the probe input
 * @param times diffusion times of the probe rows (score models only; empty for classifiers)
 * @param indices flat output indices checked element-wise
 * @param values their expected values
 * @param sum expected sum of the output
 * @param l2 expected L2 norm of the output
 * @param tolerance relative tolerance
 */
public record GoldenProbe(
        long seed,
        List<Double> times,
        List<Integer> indices,
        List<Double> values,
        double sum,
        double l2,
        double tolerance) {
    /** Batch size of every probe input. */
    public static final int ROWS = 2;

    public GoldenProbe {
        times = List.copyOf(times);
        indices = List.copyOf(indices);
        values = List.copyOf(values);
        if (indices.size() != values.size()) {
            throw new IllegalArgumentException("probe indices and values differ in length");
        }
    }

    /**
     * Compares an output with the expectations.
     *
     * @return null when it matches, else a description of the first mismatch
     */
    public String mismatch(float[] output) {
        for (int i = 0; i < indices.size(); i++) {
            int idx = indices.get(i);
            if (idx >= output.length) {
                return "probe index "
                        + idx
                        + " is outside the output of "
                        + output.length
                        + " values";
            }
            String m = compare("output[" + idx + "]", output[idx], values.get(i));
            if (m != null) {
                return m;
            }
        }
        double s = 0;
        double q = 0;
        for (float v : output) {
            s += v;
            q += (double) v * v;
        }
        String m = compare("sum of outputs", s, sum);
        return m != null ? m : compare("L2 norm of outputs", Math.sqrt(q), l2);
    }

    private String compare(String what, double actual, double expected) {
        if (Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected))) {
            return null;
        }
        return what
                + " is "
                + actual
                + ", the manifest's golden probe expects "
                + expected
                + " (tolerance "
                + tolerance
                + ")";
    }
}
