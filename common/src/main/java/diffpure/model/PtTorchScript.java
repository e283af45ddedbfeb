package diffpure.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import diffpure.config.ManifestLimits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A TorchScript model checked against its manifest when it is loaded: the file exists, the manifest
 * beside it parses, its kind is the one asked for, the sha256 matches, libtorch loads it, and the
 * golden probe gives the convention's output shape, finite values, the same row alone as inside the
 * batch, and the manifest's values. Loaded for input gradients (see {@link TorchScriptModule}):
 * parameters frozen, eval mode, the calling thread's grad mode decides whether a graph is recorded.
 */
public abstract class PtTorchScript implements AutoCloseable {
    private final Path file;
    private final ModelManifest manifest;
    private final TorchScriptModule module;

    /**
     * Loads and checks a model file against its manifest, read within limits (it is untrusted until
     * the file's sha256 matches it), reporting each check it passes.
     *
     * @throws ModelException naming the file and what is wrong
     */
    protected PtTorchScript(
            Path file,
            ModelKind expectedKind,
            Device device,
            ManifestLimits limits,
            Consumer<ModelCheck> log) {
        this.file = file;
        this.manifest = readManifest(file, limits, log);
        if (manifest.kind() != expectedKind) {
            throw new ModelException(
                    file,
                    "manifest says kind "
                            + manifest.kind().label()
                            + ", expected "
                            + expectedKind.label());
        }
        log.accept(new ModelCheck("kind", manifest.kind().label()));
        String actual = sha256(file);
        if (!actual.equals(manifest.sha256())) {
            throw new ModelException(
                    file,
                    "sha256 mismatch: file has "
                            + actual
                            + ", manifest "
                            + manifest.file()
                            + " expects "
                            + manifest.sha256());
        }
        log.accept(new ModelCheck("sha256", actual + " matches the manifest"));
        checkExportDevice(file, ModelManifest.runsOnOnly(manifest.file(), limits), device, log);
        this.module = TorchScriptModule.load(file, manifest.name(), device);
        log.accept(new ModelCheck("load", "TorchScript loaded on " + module.device()));
        try {
            float[] values =
                    ProbeRun.run(
                            module,
                            new ProbeRun.Setup(
                                    manifest.kind(),
                                    manifest.imageShape(),
                                    manifest.classes(),
                                    manifest.probe().seed(),
                                    manifest.probe().times()),
                            log);
            String mismatch = manifest.probe().mismatch(values);
            if (mismatch != null) {
                throw new ModelException(file, "golden probe failed: " + mismatch);
            }
            log.accept(
                    new ModelCheck(
                            "golden probe",
                            manifest.probe().indices().size()
                                    + " values, the sum and the L2 norm match the manifest within"
                                    + " relative tolerance "
                                    + manifest.probe().tolerance()));
        } catch (RuntimeException e) {
            module.close();
            throw e instanceof ModelException
                    ? e
                    : new ModelException(file, "probe run failed: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a device the export cannot run on: a trace that recorded tensors the official forward
     * creates (timestep embeddings) pins them to the trace-time device, and libtorch would fail
     * deep inside the first forward with a device-mismatch error.
     */
    static void checkExportDevice(
            Path file, List<String> runsOnOnly, Device device, Consumer<ModelCheck> log) {
        if (runsOnOnly.isEmpty()) {
            return;
        }
        for (String name : runsOnOnly) {
            if (matches(name, device)) {
                log.accept(
                        new ModelCheck(
                                "device", "exported for " + runsOnOnly + ", loaded on " + device));
                return;
            }
        }
        throw new ModelException(
                file,
                "this export runs only on "
                        + runsOnOnly
                        + " (manifest export.runs-on-only: the trace recorded tensors on that"
                        + " device), not on "
                        + device
                        + "; export it again on the device you run on (tools/export_model.py"
                        + " --device)");
    }

    /** Whether a libtorch device name ("cpu", "cuda", "cuda:1") denotes a DJL device. */
    private static boolean matches(String libtorchName, Device device) {
        String n = libtorchName.trim().toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) {
            return !device.isGpu();
        }
        if (n.equals("cuda")) {
            return device.isGpu();
        }
        if (n.startsWith("cuda:")) {
            return device.isGpu() && n.substring(5).equals(String.valueOf(device.getDeviceId()));
        }
        return false;
    }

    /** Checks the file exists and reads the manifest beside it. */
    private static ModelManifest readManifest(
            Path file, ManifestLimits limits, Consumer<ModelCheck> log) {
        if (!Files.isRegularFile(file)) {
            throw new ModelException(file, "model file not found");
        }
        ModelManifest m = ModelManifest.read(ModelManifest.pathFor(file), limits);
        log.accept(new ModelCheck("manifest", m.file().toString()));
        return m;
    }

    /**
     * Loads a model of whichever kind its manifest names, reporting each check it passes ({@code
     * diffpure model verify}).
     *
     * @throws ModelException naming the file and the first check that failed
     */
    public static PtTorchScript load(Path file, Device device, Consumer<ModelCheck> log) {
        if (!Files.isRegularFile(file)) {
            throw new ModelException(file, "model file not found");
        }
        ModelKind kind = ModelManifest.read(ModelManifest.pathFor(file)).kind();
        return switch (kind) {
            case SCORE_MODEL -> PtScoreModel.load(file, device, log);
            case CLASSIFIER -> PtClassifier.load(file, device, log);
            case PERCEPTUAL -> PtPerceptualModel.load(file, device, log);
        };
    }

    /**
     * One forward call on images of this model's input shape: logits for a classifier, eps at the
     * first probe time for a score model, the distance of each image to its negative (1 - image)
     * for a perceptual model (for timing and inspection).
     */
    public abstract NDArray forwardImages(NDArray images);

    /** Calls forward on the module; outputs attach to the first input's manager. */
    protected final NDArray forward(NDArray... inputs) {
        return module.forward(inputs);
    }

    /** Number of parameter values as libtorch holds them (buffers excluded). */
    public final long parameterCount() {
        return module.parameterCount();
    }

    public final ModelManifest manifest() {
        return manifest;
    }

    public final Path file() {
        return file;
    }

    public final Shape imageShape() {
        return new Shape(manifest.imageShape());
    }

    public final Device device() {
        return module.device();
    }

    public String describe() {
        return manifest.name() + "@" + manifest.sha256().substring(0, 12);
    }

    @Override
    public void close() {
        module.close();
    }

    /** Hex sha256 of a file. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new ModelException(file, "cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
