package diffpure.jobs.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where an attack loop's wall-clock time goes, from the JDK's own flight recorder: the calling
 * thread is sampled every 10 ms whether it runs Java code or sits in a native libtorch call, and
 * each sample is charged to what the innermost project frame was doing (a chain step without a
 * graph, a step's vector-Jacobian product, the classifier, noise, host copies, projection,
 * bookkeeping, tensor frees). Samples are also split by phase: inside a gradient call, inside a
 * gradient-free evaluation, or in the attack's own code between them. Garbage-collection pauses and
 * the bytes the JVM allocated come from the recording's GC and allocation events.
 */
public final class LoopProfile implements AutoCloseable {
    private static final Duration PERIOD = Duration.ofMillis(10);
    private static final String NOISE = "noise (Philox + Box-Muller)";
    private static final String COPIES = "host <-> tensor copies";
    private static final String BACKWARD = "score model: autograd backward";
    private static final String WITH_GRAPH = "score model: chain step with graph";
    private static final String WITHOUT_GRAPH = "score model: chain step without graph";

    /**
     * Kinds of work {class prefix, method rule, kind}, matched from the innermost frame outwards;
     * the first match wins.
     */
    private static final List<String[]> KINDS =
            List.of(
                    new String[] {"diffpure.noise.", "", NOISE},
                    new String[] {"diffpure.torch.HostTensors", "", COPIES},
                    new String[] {"diffpure.attack.Tensors", "host*", COPIES},
                    new String[] {"diffpure.torch.PtAutograd", "backward", BACKWARD},
                    new String[] {
                        "diffpure.purify.DiffusionPurifier", "stepVjpAndNoise", WITH_GRAPH
                    },
                    new String[] {"diffpure.purify.DiffusionPurifier", "step", WITHOUT_GRAPH},
                    new String[] {"diffpure.purify.DiffusionPurifier", "", "diffuse / output maps"},
                    new String[] {"diffpure.gradient.ClassifierHead", "", "classifier"},
                    new String[] {"diffpure.model.PtClassifier", "", "classifier"},
                    new String[] {"diffpure.attack.ThreatModel", "", "projection and step"},
                    new String[] {"diffpure.attack.Norm", "", "projection and step"},
                    new String[] {"diffpure.attack.Tally", "", "bookkeeping (tally, losses)"},
                    new String[] {"diffpure.attack.Losses", "", "bookkeeping (tally, losses)"},
                    new String[] {"ai.djl.ndarray.BaseNDManager", "close", "tensor frees"},
                    new String[] {"ai.djl.pytorch.engine.PtNDArray", "close", "tensor frees"},
                    new String[] {"diffpure.gradient.", "", "EOT rows, slices, means"},
                    new String[] {"diffpure.attack.", "", "attack step arithmetic"});

    private static final String[][] PHASES = {
        {"diffpure.gradient.DefendedModel", "lossAndGradient", "gradient calls"},
        {"diffpure.gradient.UndefendedModel", "lossAndGradient", "gradient calls"},
        {"diffpure.gradient.DefendedModel", "logits", "evaluations without graph"},
        {"diffpure.gradient.UndefendedModel", "logits", "evaluations without graph"},
    };

    private final Recording recording;
    private final String thread;
    private final long startNanos;
    private long wallNanos;

    private LoopProfile(Recording recording, String thread) {
        this.recording = recording;
        this.thread = thread;
        this.startNanos = System.nanoTime();
    }

    /** Starts sampling the calling thread. */
    public static LoopProfile start() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("jdk.ExecutionSample#enabled", "true");
        settings.put("jdk.ExecutionSample#period", PERIOD.toMillis() + " ms");
        settings.put("jdk.NativeMethodSample#enabled", "true");
        settings.put("jdk.NativeMethodSample#period", PERIOD.toMillis() + " ms");
        settings.put("jdk.GarbageCollection#enabled", "true");
        settings.put("jdk.GarbageCollection#threshold", "0 ms");
        settings.put("jdk.ObjectAllocationSample#enabled", "true");
        settings.put("jdk.ObjectAllocationSample#throttle", "150/s");
        Recording r = new Recording(settings);
        r.setToDisk(true);
        r.start();
        return new LoopProfile(r, Thread.currentThread().getName());
    }

    /** The breakdown, in seconds per kind and per phase, read back from the recording. */
    public record Breakdown(
            double wallSeconds,
            Map<String, Double> kinds,
            Map<String, Double> phases,
            double gcPauseSeconds,
            double allocatedMiB) {

        /** Seconds charged to samples. */
        public double sampledSeconds() {
            return kinds.values().stream().mapToDouble(Double::doubleValue).sum();
        }

        /** A printable table: each kind's and phase's share of the sampled time. */
        public String table() {
            StringBuilder b = new StringBuilder();
            double sampled = sampledSeconds();
            b.append(
                    String.format(
                            Locale.ROOT,
                            "profile: %.1f s wall, %.1f s sampled (10 ms samples of the attack"
                                    + " thread)%n",
                            wallSeconds,
                            sampled));
            appendShares(b, kinds, sampled);
            b.append("  by phase:\n");
            appendShares(b, phases, sampled);
            b.append(
                    String.format(
                            Locale.ROOT,
                            "  GC pauses %.3f s (%.2f %% of wall), JVM allocation %.0f MiB%n",
                            gcPauseSeconds,
                            100 * gcPauseSeconds / wallSeconds,
                            allocatedMiB));
            return b.toString();
        }
    }

    private static void appendShares(StringBuilder b, Map<String, Double> seconds, double total) {
        seconds.forEach(
                (k, s) ->
                        b.append(
                                String.format(
                                        Locale.ROOT,
                                        "  %-42s %8.2f s %6.1f %%%n",
                                        k,
                                        s,
                                        100 * s / total)));
    }

    /** Stops the recording and reads it back (the file is deleted afterwards). */
    public Breakdown finish() {
        wallNanos = System.nanoTime() - startNanos;
        recording.stop();
        try {
            Path file = Files.createTempFile("diffpure-profile", ".jfr");
            try {
                recording.dump(file);
                return read(file);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write or read the flight recording", e);
        }
    }

    private Breakdown read(Path file) throws IOException {
        Map<String, Double> kinds = new LinkedHashMap<>();
        for (String[] k : KINDS) {
            kinds.putIfAbsent(k[2], 0.0);
        }
        kinds.put("libtorch / JVM outside project code", 0.0);
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put("gradient calls", 0.0);
        phases.put("evaluations without graph", 0.0);
        phases.put("attack's own code", 0.0);
        double sample = PERIOD.toNanos() / 1e9;
        double gc = 0;
        double allocated = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            switch (type) {
                case "jdk.GarbageCollection" -> gc += e.getDuration("sumOfPauses").toNanos() / 1e9;
                case "jdk.ObjectAllocationSample" -> allocated += e.getLong("weight");
                case "jdk.ExecutionSample", "jdk.NativeMethodSample" -> {
                    RecordedThread t = e.getThread("sampledThread");
                    if (t == null || !thread.equals(t.getJavaName())) {
                        continue;
                    }
                    RecordedStackTrace st = e.getStackTrace();
                    if (st == null) {
                        continue;
                    }
                    kinds.merge(kindOf(st.getFrames()), sample, Double::sum);
                    phases.merge(phaseOf(st.getFrames()), sample, Double::sum);
                }
                default -> {}
            }
        }
        return new Breakdown(wallNanos / 1e9, kinds, phases, gc, allocated / (1 << 20));
    }

    static String kindOf(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) { // innermost first
            if (!f.isJavaFrame()) {
                continue;
            }
            String cls = f.getMethod().getType().getName();
            String method = f.getMethod().getName();
            if (method.equals("predict") || method.startsWith("lambda$")) {
                continue; // helpers of the step that called them: charge that step
            }
            for (String[] k : KINDS) {
                if (cls.startsWith(k[0]) && methodMatches(k[1], method)) {
                    // backprop runs the plain step with its grad mode on
                    return k[2].equals(WITHOUT_GRAPH) && calledFrom(frames, "BackpropGradient")
                            ? WITH_GRAPH
                            : k[2];
                }
            }
        }
        return "libtorch / JVM outside project code";
    }

    private static boolean calledFrom(List<RecordedFrame> frames, String simpleClassName) {
        for (RecordedFrame f : frames) {
            if (f.isJavaFrame()
                    && f.getMethod().getType().getName().endsWith("." + simpleClassName)) {
                return true;
            }
        }
        return false;
    }

    /** "" matches any method, "name*" a prefix, anything else the exact name. */
    private static boolean methodMatches(String rule, String method) {
        if (rule.isEmpty()) {
            return true;
        }
        return rule.endsWith("*")
                ? method.startsWith(rule.substring(0, rule.length() - 1))
                : method.equals(rule);
    }

    static String phaseOf(List<RecordedFrame> frames) {
        for (int i = frames.size() - 1; i >= 0; i--) { // outermost first
            RecordedFrame f = frames.get(i);
            String cls = f.getMethod().getType().getName();
            String method = f.getMethod().getName();
            for (String[] p : PHASES) {
                if (cls.equals(p[0]) && method.equals(p[1])) {
                    return p[2];
                }
            }
        }
        return "attack's own code";
    }

    @Override
    public void close() {
        recording.close();
    }
}
