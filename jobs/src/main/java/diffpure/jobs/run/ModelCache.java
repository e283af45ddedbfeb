package diffpure.jobs.run;

import ai.djl.Device;
import diffpure.config.ConfigLoader;
import diffpure.config.ManifestLimits;
import diffpure.model.ModelException;
import diffpure.model.ModelManifest;
import diffpure.model.PtClassifier;
import diffpure.model.PtPerceptualModel;
import diffpure.model.PtScoreModel;
import diffpure.model.PtTorchScript;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Models loaded once per JVM, keyed by model URI and device: an executor runs several tasks at once
 * and many tasks over a run, and loading (sha256, golden probe) costs seconds. Remote models
 * (s3a://, hdfs://) are first copied with their manifest to a local directory, once per JVM, and
 * reused from there only while their sha256 matches the manifest; the load checks it again. Loaded
 * models live as long as the JVM.
 */
public final class ModelCache {
    private static final ConcurrentMap<String, PtScoreModel> SCORE_MODELS =
            new ConcurrentHashMap<>();
    private static final ConcurrentMap<String, PtClassifier> CLASSIFIERS =
            new ConcurrentHashMap<>();
    private static final ConcurrentMap<String, PtPerceptualModel> PERCEPTUAL =
            new ConcurrentHashMap<>();
    private static final ConcurrentMap<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();

    private ModelCache() {}

    /**
     * The score model at uri on device, loaded on first use, its manifest read within the run's
     * limits.
     */
    public static PtScoreModel scoreModel(
            String uri, Device device, String cacheDir, Configuration conf, ManifestLimits limits) {
        return SCORE_MODELS.computeIfAbsent(
                uri + "|" + device,
                k -> {
                    LOADS.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
                    return PtScoreModel.load(localize(uri, cacheDir, conf, limits), device, limits);
                });
    }

    /**
     * The classifier at uri on device, loaded on first use, its manifest read within the run's
     * limits.
     */
    public static PtClassifier classifier(
            String uri, Device device, String cacheDir, Configuration conf, ManifestLimits limits) {
        return CLASSIFIERS.computeIfAbsent(
                uri + "|" + device,
                k -> {
                    LOADS.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
                    return PtClassifier.load(localize(uri, cacheDir, conf, limits), device, limits);
                });
    }

    /**
     * The perceptual model at uri on device (model.perceptual), loaded on first use, its manifest
     * read within the run's limits.
     */
    public static PtPerceptualModel perceptual(
            String uri, Device device, String cacheDir, Configuration conf, ManifestLimits limits) {
        return PERCEPTUAL.computeIfAbsent(
                uri + "|" + device,
                k -> {
                    LOADS.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
                    return PtPerceptualModel.load(
                            localize(uri, cacheDir, conf, limits), device, limits);
                });
    }

    /** How often this JVM has loaded the model at uri on device (for tests: once). */
    public static int loads(String uri, Device device) {
        AtomicInteger n = LOADS.get(uri + "|" + device);
        return n == null ? 0 : n.get();
    }

    /**
     * A local path for a model URI: local paths as they are; remote ones copied, with the manifest
     * beside them (.json, else .conf), into cacheDir/&lt;hash of the URI&gt;/. A copy already there
     * is reused only when its sha256 matches the remote manifest's (a remote model replaced by
     * another of the same size is copied again); copies go to a temporary name, are checked against
     * the manifest and then renamed, so a concurrent task never reads a half-written file. The
     * remote manifest is untrusted: it is copied only within {@code limits.manifest-bytes} and read
     * within the limits.
     *
     * @throws ModelException when the remote model does not match its own manifest
     */
    public static Path localize(
            String uri, String cacheDir, Configuration conf, ManifestLimits limits) {
        URI u = URI.create(uri.replace(" ", "%20"));
        if (u.getScheme() == null || u.getScheme().equals("file")) {
            return u.getScheme() == null ? Paths.get(uri) : Paths.get(u);
        }
        Path dir =
                Paths.get(
                        cacheDir.isEmpty() ? System.getProperty("java.io.tmpdir") : cacheDir,
                        "diffpure-models",
                        ConfigLoader.sha256(uri).substring(0, 16));
        String name = new org.apache.hadoop.fs.Path(uri).getName();
        Path local = dir.resolve(name);
        try {
            Files.createDirectories(dir);
            org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(uri);
            FileSystem fs = remote.getFileSystem(conf);
            org.apache.hadoop.fs.Path manifest = manifestBeside(fs, remote, uri);
            refuseOversized(fs, manifest, limits);
            Path localManifest = dir.resolve(manifest.getName());
            String expected = sha256Of(copy(fs, manifest, localManifest, null), limits);
            if (Files.exists(local) && PtTorchScript.sha256(local).equals(expected)) {
                return local;
            }
            copy(fs, remote, local, expected);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "copying model " + uri + " to " + dir + ": " + e.getMessage(), e);
        }
        return local;
    }

    /** The sha256 a manifest file declares, read within limits (size, nesting). */
    private static String sha256Of(Path manifest, ManifestLimits limits) throws IOException {
        return ModelManifest.nameAndSha256(
                Files.readString(manifest, java.nio.charset.StandardCharsets.UTF_8),
                manifest,
                limits)[1];
    }

    /**
     * Copies a remote file to a temporary name beside to, checks its sha256 when one is expected,
     * then renames it to to (atomically: tasks of other JVMs on the host may race).
     */
    private static Path copy(
            FileSystem fs, org.apache.hadoop.fs.Path from, Path to, String expectedSha256)
            throws IOException {
        Path tmp = Files.createTempFile(to.getParent(), to.getFileName().toString(), ".part");
        try {
            try (InputStream in = fs.open(from)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            if (expectedSha256 != null) {
                String got = PtTorchScript.sha256(tmp);
                if (!got.equals(expectedSha256)) {
                    throw new ModelException(
                            Paths.get(from.getName()),
                            "sha256 of "
                                    + from
                                    + " is "
                                    + got
                                    + " but its manifest says "
                                    + expectedSha256
                                    + "; the model and its manifest do not belong together");
                }
            }
            Files.move(
                    tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return to;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A model's whole manifest, read through Hadoop (no model bytes move) into a temporary file of
     * the same name so that its errors name it: the driver derives the gradient plan from it
     * (ExperimentConfig#gradientPlan) before any task starts.
     */
    public static ModelManifest fullManifestOf(
            String uri, Configuration conf, ManifestLimits limits) {
        org.apache.hadoop.fs.Path model = new org.apache.hadoop.fs.Path(uri);
        try {
            FileSystem fs = model.getFileSystem(conf);
            org.apache.hadoop.fs.Path m = manifestBeside(fs, model, uri);
            refuseOversized(fs, m, limits);
            Path dir = Files.createTempDirectory("diffpure-manifest");
            Path local = dir.resolve(m.getName());
            try (InputStream in = fs.open(m)) {
                Files.copy(in, local);
            }
            try {
                return ModelManifest.read(local, limits);
            } finally {
                Files.deleteIfExists(local);
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "reading the manifest of " + uri + ": " + e.getMessage(), e);
        }
    }

    /**
     * The (name, sha256) a model's manifest declares, read through Hadoop (no model bytes move):
     * what the runs table records and what a resume compares. Loading checks the file against it.
     * The manifest is untrusted until then: it is read within the run's {@code limits.manifest-*}
     * (at most one byte past {@code limits.manifest-bytes}, then refused).
     */
    public static String[] manifestOf(String uri, Configuration conf, ManifestLimits limits) {
        org.apache.hadoop.fs.Path model = new org.apache.hadoop.fs.Path(uri);
        try {
            FileSystem fs = model.getFileSystem(conf);
            if (!fs.exists(model)) {
                throw new ModelException(
                        Paths.get(model.getName()),
                        "model file not found: "
                                + uri
                                + " (model.score-model / model.classifier / model.perceptual)");
            }
            org.apache.hadoop.fs.Path m = manifestBeside(fs, model, uri);
            // One byte past the limit is enough to refuse the file (a limit past what one array
            // holds reads at most that much, then the size check refuses it).
            int max = (int) Math.min(limits.bytes(), Integer.MAX_VALUE - 16);
            byte[] bytes;
            try (InputStream in = fs.open(m)) {
                bytes = in.readNBytes(max + 1);
            }
            if (bytes.length > limits.bytes()) {
                throw new ModelException(
                        Paths.get(m.toString()),
                        "file larger than limits.manifest-bytes = "
                                + limits.bytes()
                                + "; raise the limit if the manifest is genuine");
            }
            return ModelManifest.nameAndSha256(
                    new String(bytes, java.nio.charset.StandardCharsets.UTF_8),
                    Paths.get(m.toString()),
                    limits);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "reading the manifest of " + uri + ": " + e.getMessage(), e);
        }
    }

    /**
     * The manifest beside a model: NAME.json, else NAME.conf (NAME the file name without .pt).
     *
     * @throws ModelException naming the model when there is neither
     */
    private static org.apache.hadoop.fs.Path manifestBeside(
            FileSystem fs, org.apache.hadoop.fs.Path model, String uri) throws IOException {
        String base = model.getName().replaceFirst("\\.pt$", "");
        for (String ext : new String[] {".json", ".conf"}) {
            org.apache.hadoop.fs.Path m =
                    new org.apache.hadoop.fs.Path(model.getParent(), base + ext);
            if (fs.exists(m)) {
                return m;
            }
        }
        throw new ModelException(
                Paths.get(model.getName()),
                "no manifest (" + base + ".json or .conf) beside " + uri);
    }

    /** Refuses a manifest whose stored size exceeds limits.manifest-bytes, before it is read. */
    private static void refuseOversized(
            FileSystem fs, org.apache.hadoop.fs.Path manifest, ManifestLimits limits)
            throws IOException {
        long size = fs.getFileStatus(manifest).getLen();
        if (size > limits.bytes()) {
            throw new ModelException(
                    Paths.get(manifest.toString()),
                    "file size "
                            + size
                            + " exceeds limits.manifest-bytes = "
                            + limits.bytes()
                            + "; raise the limit if the manifest is genuine");
        }
    }
}
