package diffpure.purify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import diffpure.model.ProbeInputs;
import diffpure.testing.DemoFiles;
import diffpure.torch.PtAutograd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The Java bilinear resize against PyTorch's F.interpolate(bilinear, align_corners=False), values
 * and vector-Jacobian products recorded once by bilinear/make_fixture.py (torch 1.13).
 */
class BilinearResizeTest {
    private static final Path FIXTURE =
            Path.of("common/src/test/resources/diffpure/purify/bilinear/bilinear.json");

    private static JsonArray cases() throws IOException {
        String text = Files.readString(DemoFiles.repoRoot().resolve(FIXTURE));
        return JsonParser.parseString(text).getAsJsonObject().getAsJsonArray("cases");
    }

    private static long[] longs(JsonArray a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }

    private static void assertMatches(String what, JsonObject expected, float[] actual) {
        JsonArray values = expected.getAsJsonArray("values");
        if (!expected.has("indices")) {
            assertEquals(values.size(), actual.length, what);
            for (int i = 0; i < actual.length; i++) {
                assertEquals(values.get(i).getAsDouble(), actual[i], 5e-7, what + "[" + i + "]");
            }
            return;
        }
        JsonArray indices = expected.getAsJsonArray("indices");
        for (int i = 0; i < indices.size(); i++) {
            int idx = indices.get(i).getAsInt();
            assertEquals(values.get(i).getAsDouble(), actual[idx], 5e-7, what + "[" + idx + "]");
        }
        double sum = 0;
        double sq = 0;
        for (float v : actual) {
            sum += v;
            sq += (double) v * v;
        }
        double eSum = expected.get("sum").getAsDouble();
        assertEquals(
                eSum, sum, 1e-6 * Math.max(1, Math.abs(eSum)) * Math.sqrt(actual.length), what);
        double eL2 = expected.get("l2").getAsDouble();
        assertEquals(eL2, Math.sqrt(sq), 1e-6 * eL2, what + " L2");
    }

    @Test
    void matchesTorchInterpolateAndItsVectorJacobianProduct() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            for (var c : cases()) {
                JsonObject o = c.getAsJsonObject();
                String name = o.get("name").getAsString();
                long[] in = longs(o.getAsJsonArray("input-shape"));
                long[] size = longs(o.getAsJsonArray("output-size"));
                Shape inShape = new Shape(in);
                Shape outShape = new Shape(in[0], in[1], size[0], size[1]);
                BilinearResize r =
                        BilinearResize.of(inShape.slice(1), new Shape(in[1], size[0], size[1]));
                NDArray x =
                        m.create(
                                ProbeInputs.uniform(
                                        o.get("input-seed").getAsLong(),
                                        (int) inShape.size(),
                                        0f,
                                        1f),
                                inShape);
                NDArray a =
                        m.create(
                                ProbeInputs.uniform(
                                        o.get("cotangent-seed").getAsLong(),
                                        (int) outShape.size(),
                                        -1f,
                                        1f),
                                outShape);
                NDArray y = r.apply(x);
                assertEquals(outShape, y.getShape(), name);
                assertMatches(name + " output", o.getAsJsonObject("output"), y.toFloatArray());
                NDArray g = r.transpose(a);
                assertEquals(inShape, g.getShape(), name);
                assertMatches(name + " vjp", o.getAsJsonObject("vjp"), g.toFloatArray());
                // Autograd through apply gives the same VJP as the explicit transpose.
                NDArray leaf = PtAutograd.leaf(x);
                try (PtAutograd.Mode on = PtAutograd.enabled()) {
                    PtAutograd.backward(r.apply(leaf), a);
                }
                float[] auto = PtAutograd.gradientOf(leaf).toFloatArray();
                float[] explicit = g.toFloatArray();
                for (int i = 0; i < auto.length; i++) {
                    assertEquals(explicit[i], auto[i], 1e-5, name + " autograd vjp[" + i + "]");
                }
            }
        }
    }

    @Test
    void sameSizeIsTheIdentityAndEveryRowOfWeightsSumsToOne() {
        float[] w = BilinearResize.weights(5, 5);
        for (int o = 0; o < 5; o++) {
            for (int i = 0; i < 5; i++) {
                assertEquals(o == i ? 1f : 0f, w[o * 5 + i], 0f);
            }
        }
        for (int[] nm : new int[][] {{224, 256}, {256, 224}, {7, 3}, {1, 4}}) {
            float[] v = BilinearResize.weights(nm[0], nm[1]);
            for (int o = 0; o < nm[1]; o++) {
                double s = 0;
                for (int i = 0; i < nm[0]; i++) {
                    s += v[o * nm[0] + i];
                    assertTrue(v[o * nm[0] + i] >= 0);
                }
                assertEquals(1.0, s, 1e-6);
            }
        }
    }

    @Test
    void channelCountsMustAgree() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> BilinearResize.of(new Shape(3, 224, 224), new Shape(1, 256, 256)));
        assertTrue(e.getMessage().contains("(3, 224, 224) and (1, 256, 256)"), e.getMessage());
    }
}
