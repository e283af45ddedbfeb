package diffpure.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.testing.DemoFiles;
import diffpure.torch.PtAutograd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The perceptual calling convention: forward(a, b) in [0, 1] -> one distance per row, loaded and
 * checked like the other kinds, differentiable with respect to its first input (the LF attack's
 * penalty needs that gradient). Uses the stand-in tools/export/make_fixtures.py writes (LPIPS's
 * head on a random trunk for 1 x 28 x 28 images).
 */
class PerceptualModelTest {
    @TempDir Path tmp;

    private static final Path STANDIN =
            DemoFiles.repoRoot()
                    .resolve("common/src/test/resources/fixtures/exported/standin-perceptual.pt");

    private static float[] images(long seed, int rows) {
        Random r = new Random(seed);
        float[] x = new float[rows * 28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        return x;
    }

    @Test
    void distancesArePerRowZeroOnEqualImagesAndPositiveOtherwise() {
        try (PtPerceptualModel lpips = PtPerceptualModel.load(STANDIN, Device.cpu(), c -> {});
                NDManager m = NDManager.newBaseManager(Device.cpu());
                PtAutograd.Mode off = PtAutograd.disabled()) {
            Shape shape = new Shape(3, 1, 28, 28);
            NDArray a = m.create(images(1, 3), shape);
            NDArray b = m.create(images(2, 3), shape);
            float[] same = lpips.distance(a, a).toFloatArray();
            float[] apart = lpips.distance(a, b).toFloatArray();
            assertEquals(3, same.length);
            assertEquals(3, apart.length);
            for (int i = 0; i < 3; i++) {
                assertEquals(0f, same[i], 1e-7f, "row " + i + ": d(a, a)");
                assertTrue(apart[i] > 1e-3, "row " + i + ": d(a, b) = " + apart[i]);
            }
            // row r of a batch is the distance of row r alone
            float[] one = lpips.distance(a.get("1:2"), b.get("1:2")).toFloatArray();
            assertEquals(apart[1], one[0], 1e-5f * Math.max(1f, apart[1]));
        }
    }

    @Test
    void gradientWithRespectToTheFirstInputAgreesWithFiniteDifferences() {
        try (PtPerceptualModel lpips = PtPerceptualModel.load(STANDIN, Device.cpu(), c -> {});
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Shape shape = new Shape(1, 1, 28, 28);
            float[] base = images(3, 1);
            NDArray b = m.create(images(4, 1), shape);
            NDArray leaf = PtAutograd.leaf(m.create(base, shape));
            try (PtAutograd.Mode on = PtAutograd.enabled()) {
                NDArray d = lpips.distance(leaf, b);
                PtAutograd.backward(d, d.onesLike());
            }
            float[] grad = PtAutograd.gradientOf(leaf).toFloatArray();
            Random r = new Random(5);
            float[] dir = new float[base.length];
            double analytic = 0;
            for (int i = 0; i < dir.length; i++) {
                dir[i] = r.nextFloat() - 0.5f;
                analytic += (double) dir[i] * grad[i];
            }
            double h = 1e-3;
            double numeric;
            try (PtAutograd.Mode off = PtAutograd.disabled()) {
                numeric =
                        (at(lpips, m, base, dir, h, b) - at(lpips, m, base, dir, -h, b)) / (2 * h);
            }
            assertEquals(analytic, numeric, 2e-2 * Math.abs(analytic) + 1e-5);
        }
    }

    private static double at(
            PtPerceptualModel lpips, NDManager m, float[] base, float[] dir, double h, NDArray b) {
        float[] x = base.clone();
        for (int i = 0; i < x.length; i++) {
            x[i] += (float) (h * dir[i]);
        }
        return lpips.distance(m.create(x, b.getShape()), b).toFloatArray()[0];
    }

    @Test
    void aModelWithAnotherConventionIsRefusedAsPerceptual() throws IOException {
        Path clf =
                DemoFiles.repoRoot()
                        .resolve("common/src/test/resources/fixtures/exported/bn-classifier.pt");
        Path copy = tmp.resolve("clf.pt");
        Files.copy(clf, copy);
        ModelManifests.Request asPerceptual =
                new ModelManifests.Request(
                        ModelKind.PERCEPTUAL,
                        new long[] {3, 16, 16},
                        0,
                        diffpure.sde.VpSchedule.DEFAULT,
                        0,
                        1,
                        "not-a-distance",
                        "test",
                        0);
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () -> ModelManifests.create(copy, asPerceptual, Device.cpu(), c -> {}));
        assertTrue(e.getMessage().contains(copy.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("perceptual calling convention"), e.getMessage());
    }

    @Test
    void aPerceptualModelIsRefusedWhereAClassifierIsExpected() {
        ModelException e =
                assertThrows(ModelException.class, () -> PtClassifier.load(STANDIN, Device.cpu()));
        assertTrue(
                e.getMessage().contains("manifest says kind perceptual, expected classifier"),
                e.getMessage());
    }
}
