package diffpure.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import diffpure.torch.PtAutograd;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * A TorchScript module loaded through DJL's PyTorch engine for input gradients: loaded with
 * trainParam=true (else libtorch refuses to save inference tensors for backward), parameters frozen
 * (no parameter gradients ever), kept in eval mode, and called through the engine's non-inference
 * path so that the calling thread's grad mode alone decides whether a graph is recorded.
 */
public abstract class PtTorchScript implements AutoCloseable {
    private final Path file;
    private final ModelManifest manifest;
    private final Model model;
    private final PtSymbolBlock block;

    /**
     * Loads and checks a model file against its manifest: existence, kind, sha256, then (by the
     * subclass' {@link #checkProbe()}) shape, finiteness and the golden probe.
     *
     * @throws ModelException naming the file and what is wrong
     */
    protected PtTorchScript(Path file, ModelKind expectedKind, Device device) {
        this.file = file;
        if (!Files.isRegularFile(file)) {
            throw new ModelException(file, "model file not found");
        }
        this.manifest = ModelManifest.read(ModelManifest.pathFor(file));
        if (manifest.kind() != expectedKind) {
            throw new ModelException(
                    file, "manifest says kind " + manifest.kind() + ", expected " + expectedKind);
        }
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
        String base = file.getFileName().toString().replaceFirst("\\.pt$", "");
        Model loaded = Model.newInstance(manifest.name(), device, "PyTorch");
        try {
            loaded.load(
                    file.getParent(), base, Map.of("trainParam", "true", "mapLocation", "true"));
        } catch (IOException | MalformedModelException | RuntimeException e) {
            loaded.close();
            throw new ModelException(file, "cannot load TorchScript: " + e.getMessage(), e);
        }
        this.model = loaded;
        this.block = (PtSymbolBlock) loaded.getBlock();
        block.freezeParameters(true);
    }

    /**
     * Set -Ddiffpure.inference-path=false to run no-grad forwards on the plain path too (for A/B
     * timing).
     */
    private static final boolean INFERENCE_PATH =
            Boolean.parseBoolean(System.getProperty("diffpure.inference-path", "true"));

    private static final ThreadLocal<Boolean> OPTIMIZER_OFF = ThreadLocal.withInitial(() -> false);

    /**
     * TorchScript's profiling graph executor is on by default, per thread; it re-specialises the
     * graph as grad requirements and shapes change, and with it on an inference call after a
     * gradient call on the same module can fail (../shared/TOOLCHAIN.md). DJL applies its
     * ai.djl.pytorch.graph_optimizer property only inside Block.forward, which this class bypasses,
     * so each thread switches it off itself.
     */
    private static void disableGraphOptimizerOnThisThread() {
        if (!OPTIMIZER_OFF.get()) {
            JniUtils.setGraphExecutorOptimize(false);
            OPTIMIZER_OFF.set(true);
        }
    }

    /** Runs the golden probe; subclasses call this at the end of their constructor. */
    protected final void checkProbe() {
        try (NDManager scope = model.getNDManager().newSubManager();
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            NDArray out = probeOutput(scope);
            Shape expected = probeOutputShape();
            if (!out.getShape().equals(expected)) {
                throw new ModelException(
                        file,
                        "wrong output shape "
                                + out.getShape()
                                + " for the probe input, expected "
                                + expected
                                + " ("
                                + manifest.kind()
                                + " convention, DESIGN.md 3)");
            }
            float[] values = out.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    throw new ModelException(
                            file,
                            "non-finite output ("
                                    + values[i]
                                    + " at flat index "
                                    + i
                                    + ") for the golden probe input");
                }
            }
            String mismatch = manifest.probe().mismatch(values);
            if (mismatch != null) {
                throw new ModelException(file, "golden probe failed: " + mismatch);
            }
        } catch (RuntimeException e) {
            close();
            throw e instanceof ModelException
                    ? e
                    : new ModelException(file, "probe run failed: " + e.getMessage(), e);
        }
    }

    /** Computes the model's output on the probe input. */
    protected abstract NDArray probeOutput(NDManager scope);

    /** The output shape the convention demands for the probe input. */
    protected abstract Shape probeOutputShape();

    /** Calls forward on the module; outputs attach to the first input's manager. */
    protected final NDArray forward(NDArray... inputs) {
        disableGraphOptimizerOnThisThread();
        // With the thread's grad mode on, the engine's plain path records the graph; with it off,
        // its inference
        // path (c10::InferenceMode) skips autograd bookkeeping. Inference outputs are only ever
        // consumed by
        // functional ops, whose results are ordinary tensors, so nothing downstream saves them for
        // backward.
        boolean recordGraph = !INFERENCE_PATH || JniUtils.isGradMode();
        NDList out = IValueUtils.forward(block, new NDList(inputs), recordGraph);
        if (out.size() != 1) {
            out.close();
            throw new ModelException(
                    file, "forward returned " + out.size() + " tensors, expected one");
        }
        return out.singletonOrThrow();
    }

    /** The probe's input images, [2, C, H, W], in [low, high). */
    protected final NDArray probeImages(NDManager scope, float low, float high) {
        long[] s = manifest.imageShape();
        int count = (int) (GoldenProbe.ROWS * s[0] * s[1] * s[2]);
        float[] data = ProbeInputs.uniform(manifest.probe().seed(), count, low, high);
        return scope.create(data, new Shape(GoldenProbe.ROWS, s[0], s[1], s[2]))
                .toDevice(model.getNDManager().getDevice(), false);
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
        return model.getNDManager().getDevice();
    }

    public String describe() {
        return manifest.name() + "@" + manifest.sha256().substring(0, 12);
    }

    @Override
    public void close() {
        model.close();
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
