package diffpure.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NoiseTest {
    /** Known-answer vectors of Random123's kat_vectors for philox4x32_10. */
    @Test
    void philoxMatchesPublishedKnownAnswers() {
        int[] out = new int[4];
        Philox4x32.block(new int[] {0, 0, 0, 0}, 0, 0, out);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, out);
        Philox4x32.block(new int[] {-1, -1, -1, -1}, -1, -1, out);
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, out);
        Philox4x32.block(
                new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                0xa4093822,
                0x299f31d0,
                out);
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, out);
    }

    @Test
    void normalsHaveUnitMomentsAndNoCorrelationBetweenNeighbours() {
        int n = 1_000_000;
        float[] z = new float[n];
        GaussianNoise.fill(new NoiseKey(7, 3, Purpose.TEST, 0, 0), 0, z, 0, n);
        double sum = 0;
        double sq = 0;
        double lag = 0;
        double fourth = 0;
        for (int i = 0; i < n; i++) {
            sum += z[i];
            sq += z[i] * z[i];
            fourth += Math.pow(z[i], 4);
            if (i > 0) {
                lag += z[i] * z[i - 1];
            }
        }
        // 5 standard errors of each estimate
        assertEquals(0, sum / n, 5 / Math.sqrt(n));
        assertEquals(1, sq / n, 5 * Math.sqrt(2.0 / n));
        assertEquals(3, fourth / n, 5 * Math.sqrt(96.0 / n));
        assertEquals(0, lag / n, 5 / Math.sqrt(n));
    }

    @Test
    void everyKeyPartSelectsAnIndependentStreamAndPrefixesAreStable() {
        NoiseKey base = new NoiseKey(1, 2, Purpose.PURIFY, 3, 4);
        float[] ref = draw(base, 5, 64);
        assertArrayEquals(
                ref, draw(new NoiseKey(1, 2, Purpose.PURIFY, 3, 4), 5, 64), "pure function of key");
        float[] prefix = draw(base, 5, 10);
        assertArrayEquals(prefix, Arrays.copyOf(ref, 10), "a shorter draw is a prefix");
        assertFalse(Arrays.equals(ref, draw(base, 6, 64)), "step");
        assertFalse(Arrays.equals(ref, draw(base, -1, 64)), "forward draw");
        assertFalse(
                Arrays.equals(ref, draw(new NoiseKey(9, 2, Purpose.PURIFY, 3, 4), 5, 64)), "seed");
        assertFalse(
                Arrays.equals(ref, draw(new NoiseKey(1, 9, Purpose.PURIFY, 3, 4), 5, 64)),
                "sample");
        assertFalse(
                Arrays.equals(ref, draw(new NoiseKey(1, 2, Purpose.VOTE_CLEAN, 3, 4), 5, 64)),
                "purpose");
        assertFalse(Arrays.equals(ref, draw(base.withDraw(4), 5, 64)), "draw");
        assertFalse(Arrays.equals(ref, draw(base.withCopy(5), 5, 64)), "copy");
    }

    @Test
    void outOfRangeKeyPartsAreRejected() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new NoiseKey(1, 2, Purpose.PURIFY, 0, -1));
        assertTrue(e.getMessage().contains("EOT copy index"), e.getMessage());
    }

    private static float[] draw(NoiseKey key, long step, int n) {
        float[] z = new float[n];
        GaussianNoise.fill(key, step, z, 0, n);
        return z;
    }
}
