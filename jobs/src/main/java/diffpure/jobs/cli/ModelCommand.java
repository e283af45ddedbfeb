package diffpure.jobs.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import diffpure.gradient.GraphBytes;
import diffpure.model.ModelException;
import diffpure.model.ModelInspection;
import diffpure.model.ModelKind;
import diffpure.model.ModelManifest;
import diffpure.model.ModelManifests;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.model.PtTorchScript;
import diffpure.sde.VpSchedule;
import diffpure.torch.Devices;
import diffpure.torch.NativeHeap;
import diffpure.torch.TorchThreads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diffpure model <manifest|verify|inspect> FILE.pt}: register any TorchScript file that
 * follows the calling convention, check it as the loader does, and see what one call costs. The
 * logic is diffpure.model's ({@link ModelManifests}, {@link PtTorchScript#load}, {@link
 * ModelInspection}).
 */
@Command(
        name = "model",
        mixinStandardHelpOptions = true,
        description =
                "Register (manifest), check (verify) and time (inspect) TorchScript models that"
                        + " follow the calling convention.",
        subcommands = {
            ModelCommand.Manifest.class,
            ModelCommand.Verify.class,
            ModelCommand.Inspect.class,
            ModelCommand.GraphBytesCommand.class
        })
public final class ModelCommand implements Runnable {
    /** Exit code of verify when a check fails. */
    public static final int CHECK_FAILED = 1;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Options every subcommand has. */
    static class DeviceOptions {
        @Option(names = "--device", description = "cpu, gpu, gpu:N or auto", defaultValue = "cpu")
        String device;

        @Option(names = "--threads", description = "libtorch intra-op threads", defaultValue = "2")
        int threads;

        Device device() {
            TorchThreads.ensure(threads);
            return Devices.parse(device);
        }
    }

    @Command(
            name = "manifest",
            mixinStandardHelpOptions = true,
            description = {
                "Write the manifest beside FILE.pt (FILE.json): sha256, parameter count and golden"
                        + " probe from the running libtorch, and on the CPU graph-bytes-per-image"
                        + " (see graph-bytes). Refuses a file whose probe output"
                        + " breaks the convention (shape, dtype, non-finite values, output that"
                        + " depends on the batch in eval mode).",
                "score-model: forward(x float32[N,C,H,W] in [-1,1], t float32[N] in (0,1]) ->"
                        + " float32[N,C,H,W]; classifier: forward(x float32[N,C,H,W] in [0,1]) ->"
                        + " logits float32[N,K]; perceptual: forward(a float32[N,C,H,W] in [0,1], b"
                        + " float32[N,C,H,W] in [0,1]) -> distances float32[N]."
            })
    static final class Manifest implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE.pt", description = "the TorchScript file")
        Path file;

        @Option(
                names = "--kind",
                required = true,
                description = "score-model, classifier or perceptual")
        String kind;

        @Option(
                names = "--input-shape",
                required = true,
                paramLabel = "C,H,W",
                description = "per-image input shape, e.g. 3,32,32")
        String inputShape;

        @Option(names = "--classes", description = "number of classes (classifiers)")
        Integer classes;

        @Option(
                names = "--t-min",
                description = "smallest trained time (score models)",
                defaultValue = "1e-5")
        double tMin;

        @Option(
                names = "--t-max",
                description = "largest trained time (score models)",
                defaultValue = "1.0")
        double tMax;

        @Option(
                names = "--beta-min",
                description = "VP schedule beta_min (score models)",
                defaultValue = "0.1")
        double betaMin;

        @Option(
                names = "--beta-max",
                description = "VP schedule beta_max (score models)",
                defaultValue = "20")
        double betaMax;

        @Option(names = "--name", description = "short model name (default: the file's base name)")
        String name;

        @Option(
                names = "--source",
                description = "where the weights came from",
                defaultValue = "registered with diffpure model manifest")
        String source;

        @Option(
                names = "--macs-per-image",
                description = "multiply-adds of one forward per image, when known (else omitted)",
                defaultValue = "0")
        long macs;

        @Option(names = "--force", description = "replace an existing manifest")
        boolean force;

        @CommandLine.Mixin DeviceOptions deviceOptions = new DeviceOptions();

        @Override
        public Integer call() {
            if (kind.trim().equalsIgnoreCase("eps")) {
                throw new IllegalArgumentException("--kind eps was renamed --kind score-model");
            }
            ModelKind k;
            try {
                k = ModelKind.ofLabel(kind.trim().toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--" + e.getMessage(), e);
            }
            if (k == ModelKind.CLASSIFIER && classes == null) {
                throw new IllegalArgumentException("--kind classifier needs --classes K");
            }
            Path target = ModelManifest.pathFor(file);
            if (Files.exists(target) && !force) {
                throw new IllegalArgumentException(target + " exists; pass --force to replace it");
            }
            String base = file.getFileName().toString().replaceFirst("\\.pt$", "");
            ModelManifests.Request request =
                    new ModelManifests.Request(
                            k,
                            parseShape(inputShape),
                            classes == null ? 0 : classes,
                            new VpSchedule(betaMin, betaMax),
                            tMin,
                            tMax,
                            name == null ? base : name,
                            source,
                            macs);
            Device device = deviceOptions.device();
            ModelManifest m =
                    ModelManifests.create(
                            file, request, device, c -> System.out.println("ok  " + c));
            ModelManifests.write(m);
            System.out.println("wrote " + m.file());
            // Round trip: what was written must pass the loader's own checks.
            try (PtTorchScript loaded = PtTorchScript.load(file, device, c -> {})) {
                System.out.println(
                        "verified: " + loaded.describe() + " passes its golden probe on " + device);
            }
            // The memory model counts the graphs of score models and classifiers only.
            if (k != ModelKind.PERCEPTUAL
                    && device.equals(Device.cpu())
                    && NativeHeap.available()) {
                long bytes = GraphBytesCommand.measure(file, m);
                ModelManifests.recordGraphBytes(m.file(), bytes);
                System.out.println("graph-bytes-per-image " + bytes + " recorded");
            }
            return 0;
        }

        static long[] parseShape(String s) {
            String[] parts = s.split(",");
            try {
                long[] shape =
                        Arrays.stream(parts).mapToLong(p -> Long.parseLong(p.trim())).toArray();
                if (shape.length != 3) {
                    throw new NumberFormatException();
                }
                return shape;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "--input-shape must be C,H,W (three integers), found '" + s + "'");
            }
        }
    }

    @Command(
            name = "verify",
            mixinStandardHelpOptions = true,
            description = {
                "Run every check the loader runs on FILE.pt and its manifest and print each one."
                        + " Exit code 0 when all pass, "
                        + CHECK_FAILED
                        + " when one fails (the error names it), 2 on a usage error."
            })
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE.pt", description = "the TorchScript file")
        Path file;

        @CommandLine.Mixin DeviceOptions deviceOptions = new DeviceOptions();

        @Override
        public Integer call() {
            Device device = deviceOptions.device();
            try (PtTorchScript m =
                    PtTorchScript.load(file, device, c -> System.out.println("ok  " + c))) {
                System.out.println("verified: " + m.describe() + " on " + device);
                return 0;
            } catch (ModelException e) {
                System.out.println("FAILED: " + e.getMessage());
                return CHECK_FAILED;
            }
        }
    }

    @Command(
            name = "inspect",
            mixinStandardHelpOptions = true,
            description =
                    "Print the manifest, the shapes a probe call sees, MACs per image where known,"
                            + " and one forward's and one forward + input gradient's time on the"
                            + " device (after one warm-up of each).")
    static final class Inspect implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE.pt", description = "the TorchScript file")
        Path file;

        @Option(names = "--batch", description = "images per timed call", defaultValue = "1")
        int batch;

        @CommandLine.Mixin DeviceOptions deviceOptions = new DeviceOptions();

        @Override
        public Integer call() throws IOException {
            Device device = deviceOptions.device();
            Path manifest = ModelManifest.pathFor(file);
            if (Files.isRegularFile(manifest)) {
                System.out.println("manifest " + manifest + ":");
                System.out.print(Files.readString(manifest, StandardCharsets.UTF_8));
            }
            try (PtTorchScript m = PtTorchScript.load(file, device, c -> {})) {
                ModelInspection r = ModelInspection.measure(m, batch);
                long macs = m.manifest().macsPerImage();
                System.out.printf(
                        Locale.ROOT,
                        "model        %s (%s), %d parameters%n"
                                + "input        %s%n"
                                + "output       %s%n"
                                + "MACs/image   %s%n"
                                + "device       %s, %d thread(s)%n"
                                + "forward      %.4f s at batch %d%n"
                                + "forward+grad %.4f s at batch %d (input gradient of the summed"
                                + " output)%n",
                        m.describe(),
                        m.manifest().kind().label(),
                        m.parameterCount(),
                        r.inputShape(),
                        r.outputShape(),
                        macs > 0
                                ? String.format(Locale.ROOT, "%d (%.3g G)", macs, macs / 1e9)
                                : "unknown (the manifest has no macs-per-image)",
                        device,
                        TorchThreads.current(),
                        r.forwardSeconds(),
                        batch,
                        r.gradientSeconds(),
                        batch);
            }
            return 0;
        }
    }

    @Command(
            name = "graph-bytes",
            mixinStandardHelpOptions = true,
            description = {
                "Measure what one forward with a graph keeps for backward per image (the C"
                        + " allocator's in-use bytes at 1 and 9 rows, on the CPU) and print it;"
                        + " --write records it as graph-bytes-per-image in the manifest, where"
                        + " runtime.memory-budget and attack.gradient-mode = auto read it.",
                "Run it in a quiet process: other threads' allocations would be counted."
            })
    static final class GraphBytesCommand implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE.pt", description = "the TorchScript file")
        Path file;

        @Option(names = "--write", description = "record the figure in the manifest")
        boolean write;

        @Option(names = "--threads", description = "libtorch intra-op threads", defaultValue = "1")
        int threads;

        @Override
        public Integer call() {
            TorchThreads.ensure(threads);
            ModelManifest manifest = ModelManifest.read(ModelManifest.pathFor(file));
            long bytes = measure(file, manifest);
            System.out.printf(
                    Locale.ROOT,
                    "graph-bytes-per-image %d (%.2f MiB) for %s%n",
                    bytes,
                    bytes / 1048576.0,
                    file);
            if (write) {
                ModelManifests.recordGraphBytes(manifest.file(), bytes);
                System.out.println("recorded in " + manifest.file());
            }
            return 0;
        }

        /** Per-image graph bytes of a model file, loaded on the CPU. */
        static long measure(Path file, ModelManifest manifest) {
            Device cpu = Device.cpu();
            if (manifest.kind() == ModelKind.PERCEPTUAL) {
                throw new IllegalArgumentException(
                        file
                                + " is a perceptual model: graph-bytes is measured for score models"
                                + " and classifiers, whose graphs the memory model counts");
            }
            try (NDManager m = NDManager.newBaseManager(cpu)) {
                if (manifest.kind() == ModelKind.SCORE_MODEL) {
                    try (PtScoreModel scoreModel = PtScoreModel.load(file, cpu)) {
                        return GraphBytes.of(scoreModel, m);
                    }
                }
                try (PtClassifier clf = PtClassifier.load(file, cpu)) {
                    return GraphBytes.of(clf, m);
                }
            }
        }
    }
}
