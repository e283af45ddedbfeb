package diffpure.jobs.eval;

import ai.djl.Device;
import diffpure.config.ConfigLoader;
import diffpure.model.ModelException;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
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
 * (s3a://, hdfs://) are first copied with their manifest to a local directory, once per JVM; the
 * load then checks the copy's sha256 against the manifest. Loaded models live as long as the JVM.
 */
public final class ModelCache {
    private static final ConcurrentMap<String, PtScoreModel> EPS = new ConcurrentHashMap<>();
    private static final ConcurrentMap<String, PtClassifier> CLASSIFIERS =
            new ConcurrentHashMap<>();
    private static final ConcurrentMap<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();

    private ModelCache() {}

    /** The score model at uri on device, loaded on first use. */
    public static PtScoreModel eps(String uri, Device device, String cacheDir, Configuration conf) {
        return EPS.computeIfAbsent(
                uri + "|" + device,
                k -> {
                    LOADS.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
                    return PtScoreModel.load(localize(uri, cacheDir, conf), device);
                });
    }

    /** The classifier at uri on device, loaded on first use. */
    public static PtClassifier classifier(
            String uri, Device device, String cacheDir, Configuration conf) {
        return CLASSIFIERS.computeIfAbsent(
                uri + "|" + device,
                k -> {
                    LOADS.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
                    return PtClassifier.load(localize(uri, cacheDir, conf), device);
                });
    }

    /** How often this JVM has loaded the model at uri on device (for tests: once). */
    public static int loads(String uri, Device device) {
        AtomicInteger n = LOADS.get(uri + "|" + device);
        return n == null ? 0 : n.get();
    }

    /**
     * A local path for a model URI: local paths as they are, remote ones copied (with the manifest
     * beside them, .json else .conf) into cacheDir/&lt;hash of the URI&gt;/ unless already there.
     */
    public static Path localize(String uri, String cacheDir, Configuration conf) {
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
        String base = name.replaceFirst("\\.pt$", "");
        Path local = dir.resolve(name);
        try {
            Files.createDirectories(dir);
            org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(uri);
            FileSystem fs = remote.getFileSystem(conf);
            boolean manifest = false;
            for (String ext : new String[] {".json", ".conf"}) {
                org.apache.hadoop.fs.Path m =
                        new org.apache.hadoop.fs.Path(remote.getParent(), base + ext);
                if (fs.exists(m)) {
                    copy(fs, m, dir.resolve(base + ext));
                    manifest = true;
                    break;
                }
            }
            if (!manifest) {
                throw new ModelException(
                        Paths.get(name), "no manifest (" + base + ".json or .conf) beside " + uri);
            }
            copy(fs, remote, local);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "copying model " + uri + " to " + dir + ": " + e.getMessage(), e);
        }
        return local;
    }

    /**
     * The (name, sha256) a model's manifest declares, read through Hadoop (no model bytes move):
     * what the runs table records and what a resume compares. Loading checks the file against it.
     */
    public static String[] manifestOf(String uri, Configuration conf) {
        org.apache.hadoop.fs.Path model = new org.apache.hadoop.fs.Path(uri);
        String base = model.getName().replaceFirst("\\.pt$", "");
        try {
            FileSystem fs = model.getFileSystem(conf);
            if (!fs.exists(model)) {
                throw new ModelException(
                        Paths.get(model.getName()),
                        "model file not found: " + uri + " (model.eps / model.classifier)");
            }
            for (String ext : new String[] {".json", ".conf"}) {
                org.apache.hadoop.fs.Path m =
                        new org.apache.hadoop.fs.Path(model.getParent(), base + ext);
                if (fs.exists(m)) {
                    String text;
                    try (InputStream in = fs.open(m)) {
                        text =
                                new String(
                                        in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                    }
                    com.typesafe.config.Config c =
                            com.typesafe.config.ConfigFactory.parseString(text);
                    return new String[] {c.getString("name"), c.getString("sha256")};
                }
            }
            throw new ModelException(
                    Paths.get(model.getName()),
                    "no manifest (" + base + ".json or .conf) beside " + uri);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "reading the manifest of " + uri + ": " + e.getMessage(), e);
        }
    }

    private static void copy(FileSystem fs, org.apache.hadoop.fs.Path from, Path to)
            throws IOException {
        if (Files.exists(to) && Files.size(to) == fs.getFileStatus(from).getLen()) {
            return;
        }
        // Copy to a temporary name, then rename: tasks of another JVM on the host may race.
        Path tmp = Files.createTempFile(to.getParent(), to.getFileName().toString(), ".part");
        try (InputStream in = fs.open(from)) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
