package diffpure.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.model.ModelManifest;
import diffpure.torch.NativeHeap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code diffpure model graph-bytes --write} records the figure and keeps the rest. */
class GraphBytesCommandTest {
    private static final Path ROOT = Path.of(System.getProperty("diffpure.repo.root", ".."));

    @TempDir Path tmp;

    @Test
    void writesGraphBytesIntoAManifestThatHadNoneAndKeepsEveryOtherKey() throws IOException {
        Assumptions.assumeTrue(NativeHeap.available(), "glibc mallinfo2 not available");
        Path demo = ROOT.resolve("models/demo/classifier.json");
        ModelManifest recorded = ModelManifest.read(demo);
        Path pt = tmp.resolve("classifier.pt");
        Files.copy(ROOT.resolve("models/demo/classifier.pt"), pt);
        String text = Files.readString(demo, StandardCharsets.UTF_8);
        String without = text.replaceAll(",\\s*\"graph-bytes-per-image\": \\d+", "");
        assertTrue(!without.contains("graph-bytes"), without);
        Path json = tmp.resolve("classifier.json");
        Files.writeString(json, without, StandardCharsets.UTF_8);
        assertEquals(0, ModelManifest.read(json).graphBytesPerImage());

        String out = ModelCommandTest.run(0, "model", "graph-bytes", "--write", pt.toString());
        assertTrue(out.contains("recorded in " + json), out);
        ModelManifest m = ModelManifest.read(json);
        long bytes = m.graphBytesPerImage();
        assertTrue(
                Math.abs(bytes - recorded.graphBytesPerImage())
                        < 0.2 * recorded.graphBytesPerImage(),
                "measured " + bytes + ", models/demo records " + recorded.graphBytesPerImage());
        assertEquals(recorded.withGraphBytesPerImage(0).sha256(), m.sha256());
        assertEquals(recorded.probe(), m.probe());
        assertEquals(recorded.macsPerImage(), m.macsPerImage());
        assertTrue(
                Files.readString(json, StandardCharsets.UTF_8)
                        .replaceAll(",\\s*\"graph-bytes-per-image\": \\d+", "")
                        .equals(without),
                "only the new key differs");
    }
}
