package diffpure.torch;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Device selection: an explicit name ("cpu", "gpu", "gpu:1"), or the best available. */
public final class Devices {
    private Devices() {}

    /**
     * Parses a device name.
     *
     * @param name "cpu", "gpu", "gpu:N" or "auto" (first GPU when libtorch sees one, else CPU)
     * @throws IllegalArgumentException naming the value when it is none of these, or a GPU that
     *     libtorch does not see
     */
    public static Device parse(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        if (n.equals("auto")) {
            return Engine.getEngine("PyTorch").getGpuCount() > 0 ? Device.gpu() : Device.cpu();
        }
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.equals("gpu") || n.startsWith("gpu:") || n.startsWith("cuda")) {
            int id = 0;
            int colon = n.indexOf(':');
            if (colon >= 0) {
                try {
                    id = Integer.parseInt(n.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "runtime.device: bad GPU index in '" + name + "'", e);
                }
            }
            int gpus = Engine.getEngine("PyTorch").getGpuCount();
            if (id >= gpus) {
                throw new IllegalArgumentException(
                        "runtime.device '"
                                + name
                                + "' asks for GPU "
                                + id
                                + " but libtorch sees "
                                + gpus
                                + " GPU(s); is a CUDA libtorch loaded (docs/operations.md, GPU clusters)?");
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException(
                "runtime.device must be cpu, gpu, gpu:N or auto, found '" + name + "'");
    }

    /** A device as {@link #parse} reads it back: cpu, gpu:N. */
    public static String name(Device d) {
        return d.isGpu() ? "gpu:" + d.getDeviceId() : "cpu";
    }

    /** A one-line description of the loaded engine, for logs and the runs table. */
    public static String engineDescription() {
        Engine engine = Engine.getEngine("PyTorch");
        return "DJL "
                + Engine.getDjlVersion()
                + ", PyTorch engine "
                + engine.getVersion()
                + ", GPUs "
                + engine.getGpuCount();
    }
}
