package diffpure.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import diffpure.testing.DemoFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The export tools (tools/export, Python) and {@code diffpure model manifest} (Java) must agree on
 * a shared file: stand-in exports written by the export tools' own code path
 * (tools/export/make_fixtures.py regenerates them) load with their Python manifests, and the Java
 * manifest writer computes the same sha256, parameter count, shapes and golden probe for a copy.
 */
class ExportedManifestAgreementTest {
    @TempDir Path tmp;

    private static Path fixture(String name) {
        return DemoFiles.repoRoot().resolve("common/src/test/resources/fixtures/exported/" + name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned-sigma-eps.pt", "bn-classifier.pt", "standin-perceptual.pt"})
    void javaManifestAgreesWithTheExporterManifest(String name) throws IOException {
        Path original = fixture(name);
        ModelManifest python = ModelManifest.read(ModelManifest.pathFor(original));

        // the loader accepts the Python-written manifest (sha256, probe, shape, batch independence)
        try (PtTorchScript loaded = PtTorchScript.load(original, Device.cpu(), c -> {})) {
            assertEquals(python.name(), loaded.manifest().name());
            assertEquals(python.kind(), loaded.manifest().kind());
        }

        Path copy = tmp.resolve(name);
        Files.copy(original, copy);
        assertFalse(Files.exists(ModelManifest.pathFor(copy)));
        ModelManifests.Request request =
                new ModelManifests.Request(
                        python.kind(),
                        python.imageShape(),
                        python.classes(),
                        python.schedule(),
                        python.minTime(),
                        python.maxTime(),
                        python.name(),
                        python.source(),
                        python.macsPerImage());
        ModelManifest java = ModelManifests.create(copy, request, Device.cpu(), c -> {});

        assertEquals(python.sha256(), java.sha256());
        assertTrue(python.parameters() > 0, "the exporter records the parameter count");
        assertEquals(python.parameters(), java.parameters());
        assertArrayEquals(python.imageShape(), java.imageShape());
        assertEquals(python.classes(), java.classes());
        GoldenProbe p = python.probe();
        GoldenProbe j = java.probe();
        assertEquals(p.seed(), j.seed());
        assertEquals(p.times(), j.times());
        assertEquals(p.indices(), j.indices());
        double tol = p.tolerance();
        for (int i = 0; i < p.values().size(); i++) {
            double expected = p.values().get(i);
            assertEquals(
                    expected,
                    j.values().get(i),
                    tol * Math.max(1, Math.abs(expected)),
                    "value " + i);
        }
        assertEquals(p.sum(), j.sum(), tol * Math.max(1, Math.abs(p.sum())));
        assertEquals(p.l2(), j.l2(), tol * Math.max(1, p.l2()));
        assertEquals(p.tolerance(), j.tolerance());
    }
}
