package diffpure.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import diffpure.sde.VpSchedule;
import diffpure.testing.DemoFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registering a TorchScript file: the manifest the Java side computes and what it refuses. */
class ModelManifestsTest {
    @TempDir Path tmp;

    static Path fixture(String name) {
        return DemoFiles.repoRoot().resolve("common/src/test/resources/fixtures/" + name);
    }

    private static ModelManifests.Request scoreModel(long c, long h, long w, double tMax) {
        return new ModelManifests.Request(
                ModelKind.SCORE_MODEL,
                new long[] {c, h, w},
                0,
                VpSchedule.DEFAULT,
                1e-5,
                tMax,
                "test-eps",
                "a test",
                0);
    }

    private static ModelManifests.Request classifier(long c, long h, long w, int classes) {
        return new ModelManifests.Request(
                ModelKind.CLASSIFIER,
                new long[] {c, h, w},
                classes,
                VpSchedule.DEFAULT,
                0,
                1,
                "test-classifier",
                "a test",
                0);
    }

    private Path copyWithoutManifest(Path pt) throws IOException {
        Path copy = tmp.resolve(pt.getFileName());
        Files.copy(pt, copy);
        assertFalse(Files.exists(ModelManifest.pathFor(copy)));
        return copy;
    }

    /**
     * The demo models' manifests were written in Python (tools/demo_models.py): the Java side
     * computes the same sha256, parameter count and golden probe for the same files.
     */
    @Test
    void javaManifestAgreesWithThePythonWrittenOneForTheDemoModels() throws IOException {
        for (Path original : List.of(DemoFiles.scoreModel(), DemoFiles.classifier())) {
            ModelManifest python = ModelManifest.read(ModelManifest.pathFor(original));
            Path copy = copyWithoutManifest(original);
            ModelManifests.Request request =
                    python.kind() == ModelKind.SCORE_MODEL
                            ? scoreModel(1, 28, 28, python.maxTime())
                            : classifier(1, 28, 28, python.classes());
            List<ModelCheck> checks = new ArrayList<>();
            ModelManifest java = ModelManifests.create(copy, request, Device.cpu(), checks::add);
            assertEquals(python.sha256(), java.sha256());
            assertEquals(python.parameters(), java.parameters());
            assertEquals(python.probe().seed(), java.probe().seed());
            assertEquals(python.probe().times(), java.probe().times());
            assertEquals(python.probe().indices(), java.probe().indices());
            for (int i = 0; i < python.probe().values().size(); i++) {
                assertEquals(python.probe().values().get(i), java.probe().values().get(i), 1e-4);
            }
            assertEquals(
                    python.probe().sum(),
                    java.probe().sum(),
                    1e-3 * Math.abs(python.probe().sum()));
            assertEquals(python.probe().l2(), java.probe().l2(), 1e-4 * python.probe().l2());
            assertEquals(
                    copy.resolveSibling(copy.getFileName().toString().replace(".pt", ".json")),
                    java.file());
            List<String> names = checks.stream().map(ModelCheck::name).toList();
            assertEquals(
                    List.of(
                            "sha256",
                            "load",
                            "parameters",
                            "output shape",
                            "finite output",
                            "batch independence"),
                    names);
        }
    }

    @Test
    void writtenManifestReadsBackAndTheLoaderAcceptsIt() throws IOException {
        Path copy = copyWithoutManifest(DemoFiles.classifier());
        ModelManifests.Request request =
                new ModelManifests.Request(
                        ModelKind.CLASSIFIER,
                        new long[] {1, 28, 28},
                        10,
                        VpSchedule.DEFAULT,
                        0,
                        1,
                        "my-cnn",
                        "trained by me",
                        22304512);
        ModelManifest m = ModelManifests.create(copy, request, Device.cpu(), c -> {});
        ModelManifests.write(m);
        ModelManifest back = ModelManifest.read(m.file());
        assertEquals("my-cnn", back.name());
        assertEquals("trained by me", back.source());
        assertEquals(22304512, back.macsPerImage());
        assertEquals(m.parameters(), back.parameters());
        assertArrayEquals(new long[] {1, 28, 28}, back.imageShape());
        assertEquals(m.probe(), back.probe());
        List<ModelCheck> checks = new ArrayList<>();
        try (PtTorchScript loaded = PtTorchScript.load(copy, Device.cpu(), checks::add)) {
            assertTrue(loaded instanceof PtClassifier);
            assertEquals(m.parameters(), loaded.parameterCount());
        }
        assertEquals(
                List.of(
                        "manifest",
                        "kind",
                        "sha256",
                        "load",
                        "output shape",
                        "finite output",
                        "batch independence",
                        "golden probe"),
                checks.stream().map(ModelCheck::name).toList());
        // Unknown MACs are omitted, not written as 0.
        ModelManifest noMacs =
                ModelManifests.create(copy, classifier(1, 28, 28, 10), Device.cpu(), c -> {});
        assertFalse(ModelManifests.toJson(noMacs).contains("macs-per-image"));
        assertTrue(ModelManifests.toJson(m).contains("\"macs-per-image\": 22304512"));
    }

    @Test
    void manifestsWrittenBeforeTheRenameStillNameAScoreModel() {
        assertEquals(ModelKind.SCORE_MODEL, ModelKind.ofManifest("score-model"));
        assertEquals(ModelKind.SCORE_MODEL, ModelKind.ofManifest("eps"));
        assertEquals(ModelKind.CLASSIFIER, ModelKind.ofManifest("classifier"));
        // the committed demo manifest says "eps"; what the writer writes is the new label
        ModelManifest demo = ModelManifest.read(ModelManifest.pathFor(DemoFiles.scoreModel()));
        assertEquals(ModelKind.SCORE_MODEL, demo.kind());
        assertTrue(ModelManifests.toJson(demo).contains("\"kind\": \"score-model\""));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ModelKind.ofLabel("eps"));
        assertEquals(
                "kind must be score-model, classifier or perceptual, found 'eps'", e.getMessage());
    }

    @Test
    void wrongOutputShapeIsRefused() throws IOException {
        Path f = copyWithoutManifest(fixture("wrong-shape-eps.pt"));
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                ModelManifests.create(
                                        f, scoreModel(1, 28, 28, 0.5), Device.cpu(), c -> {}));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(
                e.getMessage().contains("wrong output shape (2, 1, 14, 28)")
                        && e.getMessage().contains("expected (2, 1, 28, 28)"),
                e.getMessage());
    }

    @Test
    void classifierWithAnotherClassCountIsRefused() throws IOException {
        Path f = copyWithoutManifest(DemoFiles.classifier());
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                ModelManifests.create(
                                        f, classifier(1, 28, 28, 5), Device.cpu(), c -> {}));
        assertTrue(
                e.getMessage().contains("wrong output shape (2, 10)")
                        && e.getMessage().contains("expected (2, 5)"),
                e.getMessage());
    }

    @Test
    void nonFiniteOutputIsRefused() throws IOException {
        Path f = copyWithoutManifest(fixture("nan-eps.pt"));
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                ModelManifests.create(
                                        f, scoreModel(1, 28, 28, 0.5), Device.cpu(), c -> {}));
        assertTrue(
                e.getMessage().contains("non-finite output (NaN at flat index 0)"), e.getMessage());
    }

    @Test
    void wrongInputShapeNamesTheCallThatFailed() throws IOException {
        Path f = copyWithoutManifest(DemoFiles.classifier());
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                ModelManifests.create(
                                        f, classifier(3, 32, 32, 10), Device.cpu(), c -> {}));
        assertTrue(
                e.getMessage().contains("forward(x float32(2, 3, 32, 32)) failed"), e.getMessage());
    }

    /** BatchNorm traced in train mode normalises by the batch whatever mode it is put in. */
    @Test
    void classifierWhoseOutputDependsOnTheBatchIsRefused() throws IOException {
        Path f = copyWithoutManifest(fixture("bn-traced-train-classifier.pt"));
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                ModelManifests.create(
                                        f, classifier(1, 28, 28, 10), Device.cpu(), c -> {}));
        assertTrue(
                e.getMessage().contains("output depends on the batch it is computed in"),
                e.getMessage());
        assertTrue(e.getMessage().contains("BatchNorm left in train mode"), e.getMessage());
    }

    /**
     * A scripted module saved in train mode is run in eval mode by the loader, so its BatchNorm
     * uses running statistics and the batch check passes.
     */
    @Test
    void scriptedModuleSavedInTrainModeRunsInEvalMode() throws IOException {
        Path f = copyWithoutManifest(fixture("bn-scripted-train-classifier.pt"));
        List<ModelCheck> checks = new ArrayList<>();
        ModelManifests.create(f, classifier(1, 28, 28, 10), Device.cpu(), checks::add);
        assertTrue(checks.stream().anyMatch(c -> c.name().equals("batch independence")));
    }

    @Test
    void invalidRequestsAreRefusedNamingTheValue() {
        Path f = DemoFiles.classifier();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                ModelManifests.create(
                                        f, classifier(1, 28, 28, 1), Device.cpu(), c -> {}));
        assertTrue(e.getMessage().contains("classes >= 2, found 1"), e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                ModelManifests.create(
                                        f, scoreModel(1, 28, 28, 1.5), Device.cpu(), c -> {}));
        assertTrue(e.getMessage().contains("t-max=1.5"), e.getMessage());
    }

    @Test
    void probeTimesStayInsideTheTrainedRange() {
        assertEquals(List.of(0.05, 0.3), ModelManifests.scoreModelProbeTimes(1e-5, 1.0));
        List<Double> narrow = ModelManifests.scoreModelProbeTimes(0.0, 0.2);
        assertEquals(0.05, narrow.get(0), 1e-12);
        assertEquals(0.15, narrow.get(1), 1e-12);
    }

    /** The stand-ins' manifests were written in Python by tools/test_fixtures.py. */
    @Test
    void pythonWrittenStandInManifestsPassTheLoader() {
        for (String name :
                List.of(
                        "standin-eps-3x32",
                        "standin-classifier-3x32-c10",
                        "standin-eps-3x256",
                        "standin-classifier-3x224-c1000",
                        "standin-classifier-3x256-c2")) {
            try (PtTorchScript m =
                    PtTorchScript.load(fixture(name + ".pt"), Device.cpu(), c -> {})) {
                assertEquals(m.manifest().parameters(), m.parameterCount(), name);
            }
        }
    }
}
