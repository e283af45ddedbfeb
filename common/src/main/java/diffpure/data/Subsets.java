package diffpure.data;

import diffpure.noise.Philox4x32;
import java.util.Arrays;

/**
 * The seeded rule that picks evaluation subsets (the paper evaluates 512 images per setting).
 *
 * <p>Rule: a permutation of [0, size) by Fisher-Yates from the top: {@code perm = [0, 1, ...,
 * size-1]}; for i = size-1 down to 1, swap perm[i] with perm[j], where j = (w0 * 2^32 + w1) mod (i
 * + 1) as an unsigned 64-bit value and (w0, w1, ...) = Philox4x32-10(counter = (i, 0, 0, 0x53554253
 * "SUBS"), key = (low, high 32 bits of the seed)). A subset is a slice of consecutive permutation
 * positions, returned sorted ascending. The modulo bias is below (i + 1) / 2^64, far under any
 * measurable effect.
 *
 * <p>Consequences: the same (size, seed) always gives the same permutation on every JVM (no {@code
 * java.util.Random} behaviour involved); slices [from, from + count) that do not overlap as
 * position ranges share no index; {@code select(size, n, seed)} is the first n positions, so a
 * larger count extends a smaller one. Indices map to stable sample ids through {@link
 * ImageDataset#id}.
 */
public final class Subsets {
    /** Images per setting in the DiffPure paper. */
    public static final int PAPER_COUNT = 512;

    private static final int TAG = 0x53554253;

    private Subsets() {}

    /** The seeded permutation of [0, size) described in the class comment. */
    public static int[] permutation(int size, long seed) {
        if (size < 0) {
            throw new IllegalArgumentException("subset: data set size must be >= 0, found " + size);
        }
        int[] perm = new int[size];
        for (int i = 0; i < size; i++) {
            perm[i] = i;
        }
        int[] counter = {0, 0, 0, TAG};
        int[] words = new int[4];
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        for (int i = size - 1; i > 0; i--) {
            counter[0] = i;
            Philox4x32.block(counter, k0, k1, words);
            long draw = ((long) words[0] << 32) | (words[1] & 0xFFFFFFFFL);
            int j = (int) Long.remainderUnsigned(draw, i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }

    /**
     * The first count positions of the permutation, sorted: count distinct indices in [0, size).
     */
    public static int[] select(int size, int count, long seed) {
        return slice(size, seed, 0, count);
    }

    /**
     * Positions [from, from + count) of the permutation, sorted. Slices of the same (size, seed)
     * whose position ranges do not overlap are disjoint, e.g. a held-out set after the evaluation
     * set.
     */
    public static int[] slice(int size, long seed, int from, int count) {
        if (from < 0 || count < 0 || (long) from + count > size) {
            throw new IllegalArgumentException(
                    "subset: positions ["
                            + from
                            + ", "
                            + ((long) from + count)
                            + ") do not fit a data set of "
                            + size
                            + " samples; lower the subset size or offset");
        }
        int[] out = Arrays.copyOfRange(permutation(size, seed), from, from + count);
        Arrays.sort(out);
        return out;
    }

    /**
     * The first count positions of the permutation in permutation order: the same indices as {@link
     * #select}, in the uniformly random order a run that may stop early must evaluate them (an
     * anytime-valid interval reads its samples in this order, {@code
     * diffpure.eval.ConfidenceSequence}); a larger count extends a smaller one.
     */
    public static int[] inOrder(int size, int count, long seed) {
        if (count < 0 || count > size) {
            throw new IllegalArgumentException(
                    "subset: "
                            + count
                            + " samples do not fit a data set of "
                            + size
                            + " samples; lower the subset size");
        }
        return Arrays.copyOf(permutation(size, seed), count);
    }
}
