package diffpure.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.solver.EulerMaruyama;
import diffpure.testing.DemoFiles;
import diffpure.torch.PtAutograd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoadingTest {
    @TempDir Path tmp;

    private static Path fixture(String name) {
        return DemoFiles.repoRoot().resolve("common/src/test/resources/fixtures/" + name);
    }

    private static void assertRefused(Path file, String fragment, Runnable load) {
        ModelException e = assertThrows(ModelException.class, load::run);
        assertTrue(
                e.getMessage().contains(file.getFileName().toString()),
                "names the file: " + e.getMessage());
        assertTrue(
                e.getMessage().contains(fragment),
                "'" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    @Test
    void demoModelsLoadAndPassTheirGoldenProbes() {
        try (PtScoreModel scoreModel = PtScoreModel.load(DemoFiles.scoreModel(), Device.cpu());
                PtClassifier clf = PtClassifier.load(DemoFiles.classifier(), Device.cpu())) {
            assertEquals(new Shape(1, 28, 28), scoreModel.imageShape());
            assertEquals(10, clf.classes());
            assertTrue(scoreModel.maxTime() >= 0.3);
            assertTrue(scoreModel.describe().startsWith("fmnist-unet-eps@"));
        }
    }

    @Test
    void anExportPinnedToAnotherDeviceIsRefusedBeforeItsFirstForward() throws IOException {
        Path copy = Files.copy(DemoFiles.scoreModel(), tmp.resolve("eps.pt"));
        String manifest = Files.readString(ModelManifest.pathFor(DemoFiles.scoreModel())).trim();
        String pinned =
                manifest.substring(0, manifest.length() - 1)
                        + ", \"export\": {\"runs-on-only\": [\"cuda:0\"]}}";
        Files.writeString(tmp.resolve("eps.json"), pinned);
        assertRefused(
                copy,
                "runs only on [cuda:0] (manifest export.runs-on-only",
                () -> PtScoreModel.load(copy, Device.cpu()));
        Files.writeString(tmp.resolve("eps.json"), pinned.replace("cuda:0", "cpu"));
        try (PtScoreModel scoreModel = PtScoreModel.load(copy, Device.cpu())) {
            assertEquals(new Shape(1, 28, 28), scoreModel.imageShape());
        }
    }

    @Test
    void missingFileIsRefused() {
        Path missing = tmp.resolve("nothing-here.pt");
        assertRefused(
                missing, "model file not found", () -> PtScoreModel.load(missing, Device.cpu()));
    }

    @Test
    void missingManifestIsRefused() throws IOException {
        Path copy = Files.copy(DemoFiles.scoreModel(), tmp.resolve("eps.pt"));
        assertRefused(
                tmp.resolve("eps.json"),
                "model manifest not found",
                () -> PtScoreModel.load(copy, Device.cpu()));
    }

    @Test
    void sha256MismatchIsRefused() throws IOException {
        Path copy = Files.copy(DemoFiles.scoreModel(), tmp.resolve("eps.pt"));
        Files.copy(DemoFiles.scoreModel().resolveSibling("eps.json"), tmp.resolve("eps.json"));
        Files.write(copy, new byte[] {0}, StandardOpenOption.APPEND);
        assertRefused(copy, "sha256 mismatch", () -> PtScoreModel.load(copy, Device.cpu()));
    }

    @Test
    void failedGoldenProbeIsRefused() throws IOException {
        Path copy = Files.copy(DemoFiles.classifier(), tmp.resolve("classifier.pt"));
        String manifest =
                Files.readString(DemoFiles.classifier().resolveSibling("classifier.json"));
        // Shift the expected sum: the probe must notice a model that drifted.
        String changed = manifest.replaceFirst("\"sum\": (-?[0-9.eE+-]+)", "\"sum\": 12345.0");
        assertTrue(!changed.equals(manifest));
        Files.writeString(tmp.resolve("classifier.json"), changed);
        assertRefused(copy, "golden probe failed", () -> PtClassifier.load(copy, Device.cpu()));
    }

    @Test
    void wrongKindIsRefused() {
        assertRefused(
                DemoFiles.classifier(),
                "manifest says kind classifier, expected score-model",
                () -> PtScoreModel.load(DemoFiles.classifier(), Device.cpu()));
    }

    @Test
    void wrongOutputShapeIsRefused() {
        Path f = fixture("wrong-shape-eps.pt");
        assertRefused(f, "wrong output shape", () -> PtScoreModel.load(f, Device.cpu()));
    }

    @Test
    void nanOutputIsRefused() {
        Path f = fixture("nan-eps.pt");
        assertRefused(f, "non-finite output", () -> PtScoreModel.load(f, Device.cpu()));
    }

    @Test
    void tStarOutsideTheTrainedRangeIsRefused() {
        try (PtScoreModel scoreModel = PtScoreModel.load(DemoFiles.scoreModel(), Device.cpu())) {
            double above = scoreModel.maxTime() + 0.1;
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    new DiffusionPurifier(
                                            scoreModel,
                                            EulerMaruyama.chain(
                                                    new ReverseVpSde(
                                                            scoreModel.manifest().schedule()),
                                                    TimeGrid.of(above, 1e-5, 1e-3),
                                                    0.5)));
            assertTrue(e.getMessage().contains("purify.t-star = " + above), e.getMessage());
            assertTrue(e.getMessage().contains("trained on"), e.getMessage());
        }
    }

    /**
     * BatchNorm must use its running statistics even while gradients flow (eval mode with
     * autograd).
     */
    @Test
    void classifierStaysInEvalModeWhileGradientsFlow() {
        try (PtClassifier clf = PtClassifier.load(DemoFiles.classifier(), Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(ProbeInputs.uniform(9, 4 * 784, 0f, 1f), new Shape(4, 1, 28, 28));
            float[] noGrad;
            try (PtAutograd.Mode off = PtAutograd.disabled()) {
                noGrad = clf.logits(x).toFloatArray();
            }
            float[] withGrad;
            try (PtAutograd.Mode on = PtAutograd.enabled()) {
                NDArray leaf = PtAutograd.leaf(x);
                NDArray logits = clf.logits(leaf);
                PtAutograd.backward(logits, logits.onesLike());
                withGrad = logits.stopGradient().toFloatArray();
                assertTrue(PtAutograd.gradientOf(leaf).abs().sum().getFloat() > 0);
            }
            assertArrayEquals(noGrad, withGrad, 1e-5f);
            // In train mode BatchNorm would normalise by the batch: one row alone would then
            // differ.
            float[] single;
            try (PtAutograd.Mode on = PtAutograd.enabled()) {
                single =
                        clf.logits(PtAutograd.leaf(x.get(new NDIndex("0:1"))))
                                .stopGradient()
                                .toFloatArray();
            }
            for (int i = 0; i < single.length; i++) {
                assertEquals(noGrad[i], single[i], 1e-4f);
            }
        }
    }
}
