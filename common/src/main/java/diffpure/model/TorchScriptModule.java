package diffpure.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import diffpure.torch.NativeWork;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A TorchScript file loaded through DJL's PyTorch engine for input gradients, with no manifest:
 * loaded with trainParam=true (else libtorch refuses to save inference tensors for backward),
 * parameters frozen (no parameter gradients ever), put in eval mode, and called through the
 * engine's non-inference path so that the calling thread's grad mode alone decides whether a graph
 * is recorded. {@link PtTorchScript} adds the manifest and its checks.
 */
final class TorchScriptModule implements AutoCloseable {
    /**
     * Set -Ddiffpure.inference-path=false to run no-grad forwards on the plain path too (for A/B
     * timing).
     */
    private static final boolean INFERENCE_PATH =
            Boolean.parseBoolean(System.getProperty("diffpure.inference-path", "true"));

    private static final ThreadLocal<Boolean> OPTIMIZER_OFF = ThreadLocal.withInitial(() -> false);

    private final Path file;
    private final Model model;
    private final PtSymbolBlock block;

    private TorchScriptModule(Path file, Model model) {
        this.file = file;
        this.model = model;
        this.block = (PtSymbolBlock) model.getBlock();
    }

    /**
     * Loads a .pt file.
     *
     * @param name the model's name inside DJL
     * @throws ModelException naming the file when libtorch cannot load it
     */
    static TorchScriptModule load(Path file, String name, Device device) {
        String base = file.getFileName().toString().replaceFirst("\\.pt$", "");
        Model loaded = Model.newInstance(name, device, "PyTorch");
        try {
            loaded.load(
                    file.toAbsolutePath().getParent(),
                    base,
                    Map.of("trainParam", "true", "mapLocation", "true"));
            PtSymbolBlock block = (PtSymbolBlock) loaded.getBlock();
            block.freezeParameters(true);
            // The convention is eval mode (BatchNorm on running statistics, no dropout), also while
            // input gradients flow. DJL's loader sets it too (a module scripted and saved in train
            // mode passes the batch check, ModelManifestsTest); this keeps it explicit.
            JniUtils.enableInferenceMode(block);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            loaded.close();
            throw new ModelException(file, "cannot load TorchScript: " + e.getMessage(), e);
        }
        return new TorchScriptModule(file, loaded);
    }

    /**
     * TorchScript's profiling graph executor is on by default, per thread; it re-specialises the
     * graph as grad requirements and shapes change, and with it on an inference call after a
     * gradient call on the same module can fail ("Inference tensors cannot be saved for backward").
     * DJL applies its ai.djl.pytorch.graph_optimizer property only inside Block.forward, which this
     * class bypasses, so each thread switches it off itself.
     */
    private static void disableGraphOptimizerOnThisThread() {
        if (!OPTIMIZER_OFF.get()) {
            JniUtils.setGraphExecutorOptimize(false);
            OPTIMIZER_OFF.set(true);
        }
    }

    /** Calls forward; the output attaches to the first input's manager. */
    NDArray forward(NDArray... inputs) {
        // where a shutdown stops the computing threads (NativeWork)
        NativeWork.checkpoint();
        disableGraphOptimizerOnThisThread();
        // With the thread's grad mode on, the engine's plain path records the graph; with it off,
        // its inference path (c10::InferenceMode) skips autograd bookkeeping. Inference outputs
        // are only ever consumed by functional ops, whose results are ordinary tensors, so nothing
        // downstream saves them for backward.
        boolean recordGraph = !INFERENCE_PATH || JniUtils.isGradMode();
        NDList out = IValueUtils.forward(block, new NDList(inputs), recordGraph);
        if (out.size() != 1) {
            out.close();
            throw new ModelException(
                    file, "forward returned " + out.size() + " tensors, expected one");
        }
        return out.singletonOrThrow();
    }

    /** Number of parameter values (buffers such as BatchNorm statistics excluded). */
    long parameterCount() {
        long n = 0;
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            n += p.getValue().getArray().size();
        }
        return n;
    }

    Device device() {
        return model.getNDManager().getDevice();
    }

    NDManager manager() {
        return model.getNDManager();
    }

    Path file() {
        return file;
    }

    @Override
    public void close() {
        model.close();
    }
}
