package diffpure.jobs.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.commons.math3.stat.descriptive.rank.Median;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs {@code bench memory} for every (mode, N) in a fresh JVM each (fixed pre-touched 1 GiB heap),
 * under an address-space limit so that a mode that does not fit (backprop at large N) fails with
 * libtorch's allocation error, recorded as out of memory, instead of swapping the machine. Each
 * point runs {@code --repeats} times and reports the median: a resident peak of a few tens of MiB
 * varies by several MiB between identical processes.
 */
@Command(
        name = "memory-sweep",
        mixinStandardHelpOptions = true,
        description =
                "Peak memory per gradient mode at N = 10, 100, 1000, one fresh JVM per point.")
public final class MemorySweep implements Callable<Integer> {
    @Option(names = "--modes", split = ",", defaultValue = "adjoint,checkpointed,exact,backprop")
    List<String> modes;

    @Option(names = "--steps", split = ",", defaultValue = "10,100,1000")
    List<Integer> steps;

    @Option(names = "--rows", defaultValue = "4")
    int rows;

    @Option(
            names = "--limit-gb",
            defaultValue = "12",
            description = "address-space limit per point (GiB)")
    int limitGb;

    @Option(
            names = "--warm-up",
            description = "pass --warm-up to every point (a long-running executor's steady state)")
    boolean warmUp;

    @Option(
            names = "--repeats",
            defaultValue = "3",
            description =
                    "fresh JVMs per point; the table gives the median (resident peaks of a few tens"
                            + " of MiB vary by several MiB from process to process)")
    int repeats;

    @Option(
            names = "--warm-up-steps",
            defaultValue = "2000",
            description = "passed to every point with --warm-up")
    int warmUpSteps;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (repeats < 1) {
            throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
        }
        List<String> jvm =
                new ArrayList<>(ManagementFactory.getRuntimeMXBean().getInputArguments());
        // A fixed, pre-touched heap is resident before the baseline is taken, so a point measures
        // what the gradient
        // itself adds (native tensors, graphs), not how far the JVM let garbage grow its heap
        // before collecting.
        jvm.removeIf(a -> a.startsWith("-Xms") || a.startsWith("-Xmx"));
        jvm.addAll(List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"));
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        System.out.println(
                "mode\tN\trows\tpoints\tpeak-baseline MiB median (min-max)\tover purify MiB median"
                        + "\theld MiB\tstatus");
        List<String> details = new ArrayList<>();
        for (String mode : modes) {
            for (int n : steps) {
                List<JsonObject> points = new ArrayList<>();
                String failure = null;
                for (int r = 0; r < repeats; r++) {
                    Point point = runPoint(java, jvm, cp, mode, n);
                    if (point.json == null) {
                        failure = point.failure;
                        break;
                    }
                    details.add(mode + "\t" + n + "\t" + rows + "\t" + point.json);
                    JsonObject o = JsonParser.parseString(point.json).getAsJsonObject();
                    points.add(o);
                    if (!"ok".equals(o.get("status").getAsString())) {
                        // out of memory (or a failure) is a property of the point, not noise
                        break;
                    }
                }
                System.out.println(summary(mode, n, points, failure));
            }
        }
        System.out.println();
        System.out.println("points (one fresh JVM each):");
        details.forEach(System.out::println);
        return 0;
    }

    private record Point(String json, String failure) {}

    /** One fresh JVM running {@code bench memory}; its JSON line, or why there is none. */
    private Point runPoint(String java, List<String> jvm, String cp, String mode, int n)
            throws IOException, InterruptedException {
        StringBuilder cmd =
                new StringBuilder("ulimit -v " + (long) limitGb * 1024 * 1024 + "; exec ");
        cmd.append(quote(java));
        for (String a : jvm) {
            cmd.append(' ').append(quote(a));
        }
        cmd.append(" -cp ")
                .append(quote(cp))
                .append(" diffpure.jobs.Main bench memory --mode ")
                .append(mode)
                .append(" --steps ")
                .append(n)
                .append(" --rows ")
                .append(rows)
                .append(warmUp ? " --warm-up --warm-up-steps " + warmUpSteps : "");
        Process proc =
                new ProcessBuilder("bash", "-c", cmd.toString()).redirectErrorStream(true).start();
        String json = null;
        StringBuilder tail = new StringBuilder();
        try (BufferedReader r =
                new BufferedReader(
                        new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("JSON ")) {
                    json = line.substring(5);
                } else {
                    tail.append(line).append('\n');
                }
            }
        }
        int code = proc.waitFor();
        if (json != null) {
            return new Point(json, null);
        }
        String last =
                tail.toString().lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("");
        return new Point(null, "process exited " + code + ": " + last);
    }

    /** One line per (mode, N): medians over the points, and the spread of the peak. */
    private String summary(String mode, int n, List<JsonObject> points, String failure) {
        String head = mode + "\t" + n + "\t" + rows + "\t" + points.size() + "\t";
        List<JsonObject> ok =
                points.stream().filter(o -> "ok".equals(o.get("status").getAsString())).toList();
        if (ok.isEmpty()) {
            String status =
                    failure != null
                            ? failure
                            : points.get(points.size() - 1).get("status").getAsString();
            return head + "-\t-\t-\t" + status;
        }
        double[] peak = values(ok, "peak_minus_baseline_mb");
        return head
                + String.format(
                        Locale.ROOT,
                        "%.1f (%.1f-%.1f)\t%.1f\t%.2f\tok",
                        median(peak),
                        Arrays.stream(peak).min().orElseThrow(),
                        Arrays.stream(peak).max().orElseThrow(),
                        median(values(ok, "gradient_over_purify_mb")),
                        median(values(ok, "peak_held_mb")));
    }

    private static double[] values(List<JsonObject> points, String key) {
        return points.stream().mapToDouble(o -> o.get(key).getAsDouble()).toArray();
    }

    private static double median(double[] values) {
        return new Median().evaluate(values);
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
