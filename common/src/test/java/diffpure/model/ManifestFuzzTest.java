package diffpure.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import diffpure.config.ManifestLimits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzz tests of the model manifest parser, JSON and HOCON (Jazzer;
 * docs/operations.md, bad input). Property: every input ends in a manifest or a {@link
 * ModelException} naming the file, never another exception or a hang, allocating at most {@link
 * #ALLOCATION_BOUND} bytes; a manifest that reads is within the limits. Corpus:
 * src/test/resources/diffpure/model/ManifestFuzzTestInputs/. Fuzzing: {@code JAZZER_FUZZ=1 mvn -B
 * -pl common test -Dtest='ManifestFuzzTest#json' -Djunit.jupiter.execution.timeout.mode=disabled},
 * for MAX_DURATION.
 */
class ManifestFuzzTest {
    /** How long {@code JAZZER_FUZZ=1} fuzzes one target (docs/operations.md, bad input). */
    static final String MAX_DURATION = "10m";

    /** One input running longer is a hang (a finding while fuzzing, a failure in regression). */
    static final long INPUT_SECONDS = 10;

    static final ManifestLimits LIMITS = new ManifestLimits(1 << 16, 1 << 16, 1000);

    static final long ALLOCATION_BOUND = 64L << 20;

    private static final Path DIR = tempDir();

    private static void deleteTree(Path dir) {
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort at JVM exit: a leftover temporary folder is harmless.
        }
    }

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("diffpure-manifest-fuzz");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static {
        // Loading (and, while fuzzing, instrumenting) the parser's classes allocates on first use;
        // the bound is about what an input makes the parser allocate, so load them first.
        ModelManifest.read(Path.of("../models/demo/eps.json"), LIMITS);
        ModelManifest.nameAndSha256("name = x\nsha256 = y\n", Path.of("warm.conf"), LIMITS);
    }

    private static void check(String name, byte[] bytes) {
        Path p;
        try {
            p = Files.write(DIR.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try {
            ModelManifest m = ModelManifest.read(p, LIMITS);
            long elements = 1;
            for (long s : m.imageShape()) {
                elements *= s;
            }
            assertTrue(elements <= LIMITS.inputElements() && m.classes() <= LIMITS.classes());
            assertEquals(64, m.sha256().length());
        } catch (ModelException e) {
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        }
        try {
            String[] nameAndSha =
                    ModelManifest.nameAndSha256(
                            new String(bytes, StandardCharsets.UTF_8), p, LIMITS);
            assertEquals(2, nameAndSha.length);
        } catch (ModelException e) {
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated <= ALLOCATION_BOUND, "allocated " + allocated + " bytes");
    }

    /** A JSON manifest (".json", parsed as strict JSON). */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void json(byte[] manifest) {
        check("fuzz.json", manifest);
    }

    /** A HOCON manifest (".conf"). */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void hocon(byte[] manifest) {
        check("fuzz.conf", manifest);
    }
}
