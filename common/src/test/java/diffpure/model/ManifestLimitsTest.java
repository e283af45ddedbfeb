package diffpure.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ManifestLimits;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Manifests are read before their model's sha256 is checked: what they declare is refused past
 * limits.manifest-*, naming the file, the value and the limit, before anything of that size is
 * allocated (ThreadMXBean, not a wall time), and they may include nothing.
 */
class ManifestLimitsTest {
    @TempDir Path dir;

    /** The demo classifier's manifest (models/demo/classifier.json). */
    private static final Path DEMO = Path.of("../models/demo/classifier.json");

    private Path manifest(String name, String from, String to) throws IOException {
        String text = Files.readString(DEMO);
        assertTrue(text.contains(from), from);
        Path p = dir.resolve(name);
        Files.writeString(p, text.replace(from, to));
        return p;
    }

    static <T extends Throwable> T refusedCheaply(Class<T> type, Executable e) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        T error = assertThrows(type, e);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(
                allocated < (1 << 20),
                "allocated " + allocated + " bytes before the error: " + error.getMessage());
        return error;
    }

    private void warmUp() {
        assertEquals("fmnist-cnn", ModelManifest.read(DEMO).name());
    }

    @Test
    void manifestDeclaringABillionElementInputIsRefused() throws IOException {
        warmUp();
        Path p =
                manifest(
                        "big.json",
                        "\"input-shape\": [\n    1,\n    28,\n    28\n  ]",
                        "\"input-shape\": [1000, 1000, 1000]");
        ModelException e = refusedCheaply(ModelException.class, () -> ModelManifest.read(p));
        assertEquals(
                p
                        + ": input-shape [1000, 1000, 1000] has 1000000000 elements, which exceeds"
                        + " limits.manifest-input-elements = 16777216; raise the limit if the"
                        + " manifest is genuine",
                e.getMessage());
    }

    @Test
    void shapeWhoseProductOverflowsALongIsRefused() throws IOException {
        Path p =
                manifest(
                        "overflow.json",
                        "\"input-shape\": [\n    1,\n    28,\n    28\n  ]",
                        "\"input-shape\": [2147483647, 2147483647, 2147483647]");
        ModelException e = assertThrows(ModelException.class, () -> ModelManifest.read(p));
        assertTrue(
                e.getMessage().contains("9903520300447984150353281023 elements"), e.getMessage());
    }

    @Test
    void manifestDeclaringABillionClassesIsRefused() throws IOException {
        warmUp();
        Path p = manifest("classes.json", "\"classes\": 10", "\"classes\": 1000000000");
        ModelException e = refusedCheaply(ModelException.class, () -> ModelManifest.read(p));
        assertTrue(
                e.getMessage()
                        .endsWith(
                                "classes 1000000000 exceeds limits.manifest-classes = 100000;"
                                        + " raise the limit if the manifest is genuine"),
                e.getMessage());
    }

    @Test
    void twoGibManifestIsRefusedBeforeItIsParsed() throws IOException {
        warmUp();
        Path p = dir.resolve("huge.json");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(2L << 30);
        }
        ModelException e = refusedCheaply(ModelException.class, () -> ModelManifest.read(p));
        assertEquals(
                p
                        + ": file size 2147483648 exceeds limits.manifest-bytes = 1048576; raise the"
                        + " limit if the manifest is genuine",
                e.getMessage());
    }

    @Test
    void hoconManifestIncludingAUrlOrFileIsRefusedWithoutFetching() throws IOException {
        for (String include :
                new String[] {
                    "include url(\"http://127.0.0.1:9/x.conf\")",
                    "include file(\"/etc/hostname\")",
                    "include classpath(\"reference.conf\")",
                    "include \"other.conf\""
                }) {
            Path p = dir.resolve("inc.conf");
            Files.writeString(p, include + "\nkind = classifier\nname = x\n");
            ModelException e = assertThrows(ModelException.class, () -> ModelManifest.read(p));
            assertTrue(
                    e.getMessage().contains("manifests may not include other files or URLs"),
                    include + ": " + e.getMessage());
        }
    }

    @Test
    void nameAndSha256RefusesOversizedText() {
        String text = "name = x\nsha256 = y\n" + "#".repeat(1 << 20);
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                ModelManifest.nameAndSha256(
                                        text, Path.of("m.conf"), ManifestLimits.DEFAULTS));
        assertTrue(e.getMessage().startsWith("m.conf: file size 1048596 exceeds"), e.getMessage());
        assertEquals(
                "x",
                ModelManifest.nameAndSha256(
                        "name = x\nsha256 = y\n", Path.of("m.conf"), ManifestLimits.DEFAULTS)[0]);
    }

    @Test
    void manifestNestedTenThousandDeepIsRefusedBeforeTheParserOverflowsItsStack()
            throws IOException {
        Path p = dir.resolve("deep.json");
        Files.writeString(p, "{\"a\": " + "[".repeat(10000) + "]".repeat(10000) + "}");
        ModelException e = assertThrows(ModelException.class, () -> ModelManifest.read(p));
        assertEquals(
                p
                        + ": objects and arrays nested more than 32 deep (at character 37); not a"
                        + " manifest",
                e.getMessage());
        Path quoted =
                manifest(
                        "quoted.json",
                        "\"name\": \"fmnist-cnn\"",
                        "\"name\": \"" + "[".repeat(100) + "\"");
        assertEquals("[".repeat(100), ModelManifest.read(quoted).name());
    }
}
