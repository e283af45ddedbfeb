package diffpure.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.testing.Collect;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class ScalarsTest {
    /** Constants of the kinds the chain uses: ints, doubles that float32 cannot hold, floats. */
    private static final double[] CONSTANTS = {2, 1, 0.9987654321012345, -17.25e-3, 1e-12f, 0.5f};

    private static NDArray values(NDManager m, long seed) {
        float[] v = new float[4096];
        GaussianNoise.fill(new NoiseKey(seed, 0, Purpose.TEST, 3, 0), 0, v, 0, v.length);
        return m.create(v, new Shape(4, 1024));
    }

    @Test
    void resultsAreBitForBitThoseOfDjlsOwnScalarOps() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = values(m, 1);
            for (double c : CONSTANTS) {
                assertArrayEquals(x.mul(c).toFloatArray(), Scalars.mul(x, c).toFloatArray());
                assertArrayEquals(x.div(c).toFloatArray(), Scalars.div(x, c).toFloatArray());
                assertArrayEquals(x.add(c).toFloatArray(), Scalars.add(x, c).toFloatArray());
                assertArrayEquals(x.sub(c).toFloatArray(), Scalars.sub(x, c).toFloatArray());
            }
        }
    }

    /**
     * The constant a graph saved outlives a garbage collection: with DJL's x.mul(Number) and
     * x.div(Number) the collector frees it and backward reads freed memory.
     */
    @Test
    void aGraphKeepsItsConstantsThroughACollection() {
        check("mul", Scalars::mul, 0.9987654321012345, 0.9987654321012345);
        check("div", Scalars::div, 0.5f, 2);
    }

    private static void check(
            String op, BiFunction<NDArray, Double, NDArray> f, double c, double derivative) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray leaf = PtAutograd.leaf(values(m, 2));
            NDArray y;
            try (PtAutograd.Mode grad = PtAutograd.enabled()) {
                y = f.apply(leaf, c);
            }
            Collect.garbageAndCleaners();
            PtAutograd.backward(y, y.onesLike());
            float[] g = PtAutograd.gradientOf(leaf).toFloatArray();
            for (float v : g) {
                assertEquals((float) derivative, v, 1e-7f, op + " by " + c);
            }
        }
    }
}
