package diffpure.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Drawing noise ahead on background threads never changes a value, whatever the step order. */
class PrefetchedNoiseTest {
    private static final Shape IMAGE = new Shape(3, 8, 8);

    @Test
    void drawnAheadNoiseEqualsInlineNoiseForEveryStepOrder() {
        List<NoiseKey> keys = keys(7);
        // a forward sweep, an adjoint-style backward sweep, checkpoint segments, a repeated step
        // and
        // a shape change: foreseen and unforeseen draws alike
        long[] order = {-1, 0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 2, 3, 0, 1, -1, 5};
        RowNoise inline = new RowNoise(keys);
        RowNoise ahead = new RowNoise(keys, NoiseWorkers.shared(3));
        try (NDManager m = NDManager.newBaseManager()) {
            for (long step : order) {
                assertArrayEquals(
                        inline.draw(m, step, IMAGE).toFloatArray(),
                        ahead.draw(m, step, IMAGE).toFloatArray(),
                        "step " + step);
            }
            Shape other = new Shape(1, 5, 5);
            assertArrayEquals(
                    inline.draw(m, 6, other).toFloatArray(),
                    ahead.draw(m, 6, other).toFloatArray(),
                    "another image shape at the foreseen step");
        }
    }

    @Test
    void aSliceDrawsItsRowsOfTheWholeBatchAhead() {
        List<NoiseKey> keys = keys(6);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray whole = new RowNoise(keys).draw(m, 3, IMAGE);
            RowNoise slice = new RowNoise(keys, NoiseWorkers.shared(3)).slice(2, 5);
            slice.draw(m, 2, IMAGE);
            float[] part = slice.draw(m, 3, IMAGE).toFloatArray();
            float[] expected = whole.get("2:5").toFloatArray();
            assertArrayEquals(expected, part);
        }
    }

    @Test
    void autoDrawsAheadOnGpusOnlyAndBadCountsAreNamed() {
        assertFalse(NoiseWorkers.forDevice(-1, Device.cpu()).prefetches(), "cpu: inline");
        assertTrue(NoiseWorkers.forDevice(-1, Device.gpu()).prefetches(), "gpu: drawn ahead");
        assertEquals(0, NoiseWorkers.forDevice(0, Device.gpu()).threads());
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> NoiseWorkers.forDevice(-2, Device.cpu()));
        assertTrue(e.getMessage().contains("runtime.noise-threads"), e.getMessage());
    }

    private static List<NoiseKey> keys(int rows) {
        List<NoiseKey> keys = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            keys.add(new NoiseKey(11, 100 + r / 2, Purpose.PURIFY, 3, r % 2));
        }
        return keys;
    }
}
