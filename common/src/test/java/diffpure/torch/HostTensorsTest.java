package diffpure.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class HostTensorsTest {
    @Test
    void valuesTypesAndShapesMatchTheEngine() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] f = {1.5f, -2f, 3.25f, 0f, 7f, -0.125f};
            NDArray a = HostTensors.create(m, f, new Shape(2, 3));
            assertEquals(new Shape(2, 3), a.getShape());
            assertEquals(DataType.FLOAT32, a.getDataType());
            assertArrayEquals(f, a.toFloatArray());
            assertArrayEquals(
                    new int[] {3, -4, 5}, HostTensors.create(m, new int[] {3, -4, 5}).toIntArray());
            NDArray l = HostTensors.create(m, new long[] {1L << 40, -9});
            assertEquals(DataType.INT64, l.getDataType());
            assertArrayEquals(new long[] {1L << 40, -9}, l.toLongArray());
            assertArrayEquals(
                    new boolean[] {true, false, true},
                    HostTensors.create(m, new boolean[] {true, false, true}).toBooleanArray());
        }
    }

    @Test
    void aTensorKeepsItsValuesWhenTheScratchBufferIsReused() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray first = HostTensors.create(m, new float[] {1, 2, 3, 4});
            NDArray second = HostTensors.create(m, new float[] {9, 9, 9, 9});
            NDArray larger = HostTensors.create(m, new float[1000]);
            assertArrayEquals(new float[] {1, 2, 3, 4}, first.toFloatArray());
            assertArrayEquals(new float[] {9, 9, 9, 9}, second.toFloatArray());
            assertEquals(1000, larger.size());
        }
    }

    @Test
    void directMemoryDoesNotGrowWithTheNumberOfTensors() {
        BufferPoolMXBean direct =
                ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                        .filter(b -> b.getName().equals("direct"))
                        .findFirst()
                        .orElseThrow();
        float[] oneMiB = new float[1 << 18];
        try (NDManager m = NDManager.newBaseManager()) {
            HostTensors.create(m, oneMiB).close();
            long before = direct.getMemoryUsed();
            for (int i = 0; i < 64; i++) {
                HostTensors.create(m, oneMiB).close();
            }
            // NDManager.create would leave 64 MiB of direct buffers waiting for a GC
            long grown = direct.getMemoryUsed() - before;
            assertTrue(grown < (1 << 20), "direct memory grew by " + grown + " bytes");
        }
    }

    @Test
    void aShapeThatTheDataDoesNotFillIsRejected() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> HostTensors.create(m, new float[5], new Shape(2, 3)));
            assertTrue(e.getMessage().contains("(2, 3)"), e.getMessage());
        }
    }
}
