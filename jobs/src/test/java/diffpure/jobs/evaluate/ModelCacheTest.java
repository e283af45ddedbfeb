package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ManifestLimits;
import diffpure.jobs.run.ModelCache;
import diffpure.model.ModelException;
import diffpure.model.ModelManifest;
import diffpure.model.PtScoreModel;
import diffpure.model.PtTorchScript;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor-side model cache with a remote model: a copy is reused only while its sha256 matches
 * the manifest, a remote model replaced by another of the same size is copied again, a corrupted
 * copy is replaced, copies never leave a half-written file under the final name.
 */
class ModelCacheTest {
    @TempDir Path tmp;

    /** A "remote" file system (scheme remote://) over local files. */
    public static final class RemoteFs extends RawLocalFileSystem {
        @Override
        public URI getUri() {
            return URI.create("remote:///");
        }

        @Override
        public String getScheme() {
            return "remote";
        }
    }

    private static Configuration conf() {
        Configuration c = new Configuration();
        c.set("fs.remote.impl", RemoteFs.class.getName());
        c.setBoolean("fs.remote.impl.disable.cache", true);
        return c;
    }

    private Path remoteModel() throws IOException {
        Path remote = Files.createDirectories(tmp.resolve("remote"));
        for (String f : new String[] {"eps.pt", "eps.json"}) {
            Files.copy(TinyRuns.ROOT.resolve("models/demo").resolve(f), remote.resolve(f));
        }
        return remote;
    }

    private static String uri(Path remote) {
        return "remote://" + remote.resolve("eps.pt").toAbsolutePath();
    }

    @Test
    void aCopyIsReusedOnlyWhileItsSha256MatchesTheManifest() throws IOException {
        Path remote = remoteModel();
        Path cache = tmp.resolve("cache");
        Path local =
                ModelCache.localize(uri(remote), cache.toString(), conf(), ManifestLimits.DEFAULTS);
        assertArrayEquals(Files.readAllBytes(remote.resolve("eps.pt")), Files.readAllBytes(local));
        assertTrue(Files.exists(local.resolveSibling("eps.json")));
        // Unchanged: reused, not copied again.
        FileTime marked = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(local, marked);
        assertEquals(
                local,
                ModelCache.localize(
                        uri(remote), cache.toString(), conf(), ManifestLimits.DEFAULTS));
        assertEquals(marked, Files.getLastModifiedTime(local), "a matching copy was recopied");

        // The remote model replaced by another of the same size (and its manifest updated).
        byte[] changed = Files.readAllBytes(remote.resolve("eps.pt"));
        changed[changed.length / 2] ^= 0x5a;
        Files.write(remote.resolve("eps.pt"), changed);
        String oldSha = PtTorchScript.sha256(local);
        String newSha = PtTorchScript.sha256(remote.resolve("eps.pt"));
        assertNotEquals(oldSha, newSha);
        Files.writeString(
                remote.resolve("eps.json"),
                Files.readString(remote.resolve("eps.json")).replace(oldSha, newSha));
        assertEquals(Files.size(local), changed.length, "same size");
        ModelCache.localize(uri(remote), cache.toString(), conf(), ManifestLimits.DEFAULTS);
        assertArrayEquals(changed, Files.readAllBytes(local), "the changed model was not copied");
        assertTrue(Files.readString(local.resolveSibling("eps.json")).contains(newSha));

        // A corrupted local copy (same size) is replaced.
        byte[] corrupt = Files.readAllBytes(local);
        corrupt[10] ^= 0x01;
        Files.write(local, corrupt);
        ModelCache.localize(uri(remote), cache.toString(), conf(), ManifestLimits.DEFAULTS);
        assertArrayEquals(changed, Files.readAllBytes(local));
        assertNoPartFiles(cache);
    }

    @Test
    void manifestOfReadsWithinTheRunsManifestLimitsNotTheDefaults() throws IOException {
        Path remote = remoteModel();
        String json = Files.readString(remote.resolve("eps.json"));
        String[] expected = {
            ModelManifest.read(remote.resolve("eps.json")).name(),
            PtTorchScript.sha256(remote.resolve("eps.pt"))
        };
        // 1.5 MiB of trailing whitespace: over the default limits.manifest-bytes (1 MiB)
        Files.writeString(remote.resolve("eps.json"), json + " ".repeat(3 << 19));
        long size = Files.size(remote.resolve("eps.json"));
        assertTrue(size > ManifestLimits.DEFAULTS.bytes());
        ManifestLimits raised = new ManifestLimits(2L << 20, 1L << 24, 100_000);
        assertArrayEquals(expected, ModelCache.manifestOf(uri(remote), conf(), raised));
        ModelException over =
                assertThrows(
                        ModelException.class,
                        () -> ModelCache.manifestOf(uri(remote), conf(), ManifestLimits.DEFAULTS));
        assertTrue(
                over.getMessage().contains("eps.json")
                        && over.getMessage()
                                .contains("larger than limits.manifest-bytes = 1048576"),
                over.getMessage());
        // a limit below the original manifest's size refuses it too
        Files.writeString(remote.resolve("eps.json"), json);
        ManifestLimits tight = new ManifestLimits(json.length() - 1, 1L << 24, 100_000);
        assertThrows(ModelException.class, () -> ModelCache.manifestOf(uri(remote), conf(), tight));
        assertArrayEquals(
                expected, ModelCache.manifestOf(uri(remote), conf(), ManifestLimits.DEFAULTS));
    }

    @Test
    void executorsCopyAndLoadARemoteModelWithinTheRunsManifestLimits() throws IOException {
        Path remote = remoteModel();
        String json = Files.readString(remote.resolve("eps.json"));
        // 1.5 MiB of trailing whitespace: over the default limits.manifest-bytes (1 MiB)
        Files.writeString(remote.resolve("eps.json"), json + " ".repeat(3 << 19));
        Path cache = tmp.resolve("cache");
        ModelException refused =
                assertThrows(
                        ModelException.class,
                        () ->
                                ModelCache.localize(
                                        uri(remote),
                                        cache.toString(),
                                        conf(),
                                        ManifestLimits.DEFAULTS));
        assertTrue(
                refused.getMessage().contains("exceeds limits.manifest-bytes = 1048576"),
                refused.getMessage());
        try (Stream<Path> s = Files.walk(cache)) {
            assertFalse(
                    s.anyMatch(p -> p.getFileName().toString().startsWith("eps.")),
                    "a manifest over the limit was copied");
        }
        ManifestLimits raised = new ManifestLimits(2L << 20, 1L << 24, 100_000);
        PtScoreModel loaded =
                ModelCache.scoreModel(
                        uri(remote), ai.djl.Device.cpu(), cache.toString(), conf(), raised);
        assertEquals(
                ModelManifest.read(remote.resolve("eps.json"), raised).name(),
                loaded.manifest().name());
    }

    @Test
    void aRemoteModelThatDoesNotMatchItsManifestIsRefused() throws IOException {
        Path remote = remoteModel();
        byte[] b = Files.readAllBytes(remote.resolve("eps.pt"));
        b[b.length / 3] ^= 0x11;
        Files.write(remote.resolve("eps.pt"), b);
        Path cache = tmp.resolve("cache");
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                ModelCache.localize(
                                        uri(remote),
                                        cache.toString(),
                                        conf(),
                                        ManifestLimits.DEFAULTS));
        assertTrue(e.getMessage().contains("eps.pt"), e.getMessage());
        assertTrue(e.getMessage().contains("manifest says"), e.getMessage());
        // Nothing under the final name, no temporary left.
        try (Stream<Path> s = Files.walk(cache)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().equals("eps.pt")));
        }
        assertNoPartFiles(cache);
    }

    private static void assertNoPartFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            assertEquals(0, s.filter(p -> p.toString().endsWith(".part")).count());
        }
    }
}
