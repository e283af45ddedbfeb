package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Samples stacked in their order, with int64 labels, and a sample of another size refused. */
class BatchTest {
    private static final Shape IMAGE = new Shape(1, 2, 2);

    @Test
    void samplesAreStackedInOrderWithInt64Labels() {
        List<Sample> samples =
                List.of(
                        new Sample(41, 3, new float[] {0f, 0.25f, 0.5f, 0.75f}),
                        new Sample(7, 9, new float[] {1f, 0.5f, 0.125f, 0f}));
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batch.of(m, samples, IMAGE);
            assertEquals(new Shape(2, 1, 2, 2), b.images().getShape());
            assertArrayEquals(
                    new float[] {0f, 0.25f, 0.5f, 0.75f, 1f, 0.5f, 0.125f, 0f},
                    b.images().toFloatArray());
            assertEquals(DataType.INT64, b.labels().getDataType());
            assertArrayEquals(new long[] {3, 9}, b.labels().toLongArray());
            assertArrayEquals(new long[] {41, 7}, b.ids());
            assertEquals(2, b.size());
        }
    }

    @Test
    void aSampleOfAnotherSizeIsRefusedByName() {
        List<Sample> samples =
                List.of(new Sample(1, 0, new float[4]), new Sample(12, 0, new float[3]));
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Batch.of(m, samples, IMAGE));
            assertEquals(
                    "sample 12 has 3 pixels, its batch is of (1, 2, 2) images", e.getMessage());
        }
    }
}
