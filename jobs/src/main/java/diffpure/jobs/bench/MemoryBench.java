package diffpure.jobs.bench;

import ai.djl.ndarray.NDManager;
import diffpure.data.Batch;
import diffpure.data.IdxDataset;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientModes;
import diffpure.gradient.MemoryModel;
import diffpure.gradient.Objective;
import diffpure.gradient.TargetModel;
import diffpure.jobs.cli.ModelOptions;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * One memory point, meant for a fresh JVM: load the models (which runs their golden probes), take
 * that post-load resident set (native + heap) as the baseline, optionally run a fixed warm-up,
 * reset the kernel's high-water mark, take one input gradient at N steps, report peak minus
 * baseline. One-off costs of the first gradient (allocator and kernel set-up) are in every point
 * alike.
 */
@Command(
        name = "memory",
        mixinStandardHelpOptions = true,
        description =
                "Peak memory of one input gradient (run in a fresh JVM; memory-sweep does that).")
public final class MemoryBench implements Callable<Integer> {
    @Mixin ModelOptions models;

    @Option(names = "--mode", required = true, description = "gradient mode")
    String mode;

    @Option(names = "--steps", required = true, description = "chain length N")
    int steps;

    @Option(names = "--rows", defaultValue = "4", description = "batch rows (images x EOT)")
    int rows;

    @Option(
            names = "--warm-up",
            description =
                    "after the baseline, before the measured gradient, run the same fixed work at"
                            + " every N (a purification of --warm-up-steps steps, gradients of this"
                            + " mode over that many steps in 50-step chains): the JIT compiler and the"
                            + " allocator settle as in a long-running executor, alike for every N")
    boolean warmUp;

    @Option(
            names = "--warm-up-steps",
            defaultValue = "2000",
            description =
                    "length of the warm-up's work; long enough that the JIT compiler has settled"
                            + " (jit_ms_during_gradient in the output shows whether it had)")
    int warmUpSteps;

    private static final int WARM_UP_CHAIN = 50;

    @Override
    public Integer call() throws IOException {
        models.applyThreads();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mode", mode);
        out.put("steps", steps);
        out.put("rows", rows);
        out.put("malloc_env", mallocEnv());
        try (PtScoreModel scoreModel = models.loadScoreModel();
                PtClassifier clf = models.loadClassifier();
                NDManager manager = NDManager.newBaseManager(models.device())) {
            IdxDataset data = models.loadData(clf.classes());
            PurifierSpec base = models.spec();
            double dt = (base.tStar() - base.tEnd()) / steps;
            DiffusionPurifier p =
                    base.withDt(dt).build(scoreModel, scoreModel.manifest().schedule());
            if (p.chain().length() != steps) {
                throw new IllegalStateException(
                        "grid has " + p.chain().length() + " steps, wanted " + steps);
            }
            if (scoreModel.manifest().graphBytesPerImage() > 0
                    && clf.manifest().graphBytesPerImage() > 0) {
                // What runtime.memory-budget would reserve for this call (docs/architecture.md,
                // memory budget)
                MemoryModel model =
                        new MemoryModel(
                                steps,
                                scoreModel.imageShape().size(),
                                scoreModel.manifest().graphBytesPerImage(),
                                clf.manifest().graphBytesPerImage());
                out.put("model_predicted_mb", rows * model.bytesPerRow(mode) / 1048576.0);
            }
            System.gc();
            long baseline = ProcStatus.residentBytes();
            out.put("baseline_mb", baseline / 1048576.0);
            if (warmUp) {
                warmUp(base, scoreModel, clf, data);
                out.put("warm_up_steps", warmUpSteps);
                out.put(
                        "after_warm_up_minus_baseline_mb",
                        (ProcStatus.residentBytes() - baseline) / 1048576.0);
            }
            measure(p, clf, data, manager, baseline, out);
        }
        System.out.println("JSON " + Json.of(out));
        return 0;
    }

    /**
     * The measured gradient: a purification without a graph first (its peak holds what any run of
     * this length costs the process: JIT code, allocator growth, one step's tensors), then the
     * gradient, whose peak above it is what differentiating adds.
     */
    private void measure(
            DiffusionPurifier p,
            PtClassifier clf,
            IdxDataset data,
            NDManager manager,
            long baseline,
            Map<String, Object> out)
            throws IOException {
        try (NDManager scope = manager.newSubManager()) {
            Batch b = Batch.of(scope, data, 0, rows);
            ProcStatus.resetPeak();
            new DefendedModel(p, clf, GradientModes.byName(mode), 1, 0, 1)
                    .logits(b.images(), b.ids(), Purpose.VOTE_CLEAN, 0, 1);
            long purifyPeak = ProcStatus.peakBytes();
            out.put("purify_peak_minus_baseline_mb", (purifyPeak - baseline) / 1048576.0);
            ProcStatus.resetPeak();
            long jit0 = jitMillis();
            long t0 = System.nanoTime();
            TargetModel.Evaluation ev =
                    new DefendedModel(p, clf, GradientModes.byName(mode), 1, 0, 1)
                            .lossAndGradient(
                                    b.images(),
                                    b.labels(),
                                    b.ids(),
                                    Objective.CROSS_ENTROPY,
                                    Purpose.PURIFY,
                                    0);
            out.put("seconds", (System.nanoTime() - t0) / 1e9);
            // Compiler threads malloc arenas of several MiB while they work; compiling during
            // the measured gradient shows up in its resident peak.
            out.put("jit_ms_during_gradient", jitMillis() - jit0);
            out.put("peak_held_mb", ev.diagnostics().peakLiveElements() * 4 / 1048576.0);
            long peak = ProcStatus.peakBytes();
            out.put("peak_minus_baseline_mb", (peak - baseline) / 1048576.0);
            out.put("gradient_over_purify_mb", (peak - purifyPeak) / 1048576.0);
            out.put("status", "ok");
        } catch (RuntimeException e) {
            String message = String.valueOf(e.getMessage());
            String allocation =
                    message.lines().filter(l -> l.contains("allocate")).findFirst().orElse(null);
            out.put(
                    "status",
                    allocation != null
                            ? "out of memory: " + allocation.trim()
                            : "failed: " + message.lines().findFirst().orElse(""));
        }
    }

    /**
     * One-off costs of a process's first long runs (compiled code and the compiler threads' malloc
     * arenas, allocator arenas growing to their working size) grow with the first run's length;
     * this fixed work pays them before the measured gradient, alike for every N, so that the peak
     * differs between N only by what the mode keeps.
     */
    private void warmUp(
            PurifierSpec base, PtScoreModel scoreModel, PtClassifier clf, IdxDataset data) {
        DiffusionPurifier longChain =
                base.withDt((base.tStar() - base.tEnd()) / warmUpSteps)
                        .build(scoreModel, scoreModel.manifest().schedule());
        DiffusionPurifier shortChain =
                base.withDt((base.tStar() - base.tEnd()) / WARM_UP_CHAIN)
                        .build(scoreModel, scoreModel.manifest().schedule());
        try (NDManager scope = NDManager.newBaseManager(models.device())) {
            Batch b = Batch.of(scope, data, 0, rows);
            new DefendedModel(longChain, clf, GradientModes.byName(mode), 1, 0, 1)
                    .logits(b.images(), b.ids(), Purpose.VOTE_CLEAN, 0, 1)
                    .close();
            for (int done = 0; done < warmUpSteps; done += WARM_UP_CHAIN) {
                try (NDManager one = scope.newSubManager()) {
                    Batch g = Batch.of(one, data, 0, rows);
                    new DefendedModel(shortChain, clf, GradientModes.byName(mode), 1, 0, 1)
                            .lossAndGradient(
                                    g.images(),
                                    g.labels(),
                                    g.ids(),
                                    Objective.CROSS_ENTROPY,
                                    Purpose.PURIFY,
                                    done);
                }
            }
        }
        System.gc();
    }

    /** The glibc malloc tunables in this process's environment, as NAME=value pairs. */
    private static String mallocEnv() {
        return System.getenv().entrySet().stream()
                .filter(
                        e ->
                                e.getKey().startsWith("MALLOC_")
                                        || e.getKey().equals("GLIBC_TUNABLES"))
                .map(e -> e.getKey() + "=" + e.getValue())
                .sorted()
                .collect(Collectors.joining(" "));
    }

    /** Milliseconds the JIT compilers have worked so far (-1 when the JVM does not say). */
    private static long jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported()
                ? jit.getTotalCompilationTime()
                : -1;
    }

    /** Linux /proc readings of this process. */
    static final class ProcStatus {
        private ProcStatus() {}

        static long residentBytes() throws IOException {
            return field("VmRSS:");
        }

        static long peakBytes() throws IOException {
            return field("VmHWM:");
        }

        /** Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0). */
        static void resetPeak() throws IOException {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        }

        private static long field(String name) throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            throw new IOException("no " + name + " in /proc/self/status");
        }
    }
}
