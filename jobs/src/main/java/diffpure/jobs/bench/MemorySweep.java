package diffpure.jobs.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs {@code bench memory} for every (mode, N) in a fresh JVM each (fixed pre-touched 1 GiB heap),
 * under an address-space limit so that a mode that does not fit (backprop at large N) fails with
 * libtorch's allocation error, recorded as out of memory, instead of swapping the machine.
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

    @Override
    public Integer call() throws IOException, InterruptedException {
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
        System.out.println("mode\tN\trows\tpeak-baseline MiB\tJSON\tseconds\tstatus");
        for (String mode : modes) {
            for (int n : steps) {
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
                        .append(warmUp ? " --warm-up" : "");
                Process proc =
                        new ProcessBuilder("bash", "-c", cmd.toString())
                                .redirectErrorStream(true)
                                .start();
                String json = null;
                StringBuilder tail = new StringBuilder();
                try (BufferedReader r =
                        new BufferedReader(
                                new InputStreamReader(
                                        proc.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.startsWith("JSON ")) {
                            json = line.substring(5);
                        } else {
                            tail.append(line).append('\n');
                        }
                    }
                }
                int code = proc.waitFor();
                if (json == null) {
                    String last =
                            tail.toString()
                                    .lines()
                                    .filter(l -> !l.isBlank())
                                    .reduce((a, b) -> b)
                                    .orElse("");
                    System.out.printf(
                            "%s\t%d\t%d\t-\t-\t-\tprocess exited %d: %s%n",
                            mode, n, rows, code, last);
                } else {
                    System.out.println(mode + "\t" + n + "\t" + rows + "\t" + json);
                }
            }
        }
        return 0;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
