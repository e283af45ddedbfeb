package diffpure.jobs.evaluate;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * A standalone Spark cluster on 127.0.0.1 for tests (no Spark distribution needed: the Maven jars
 * make the Spark home): one Master and N Workers of one core each, started as JVMs of their own
 * from a Spark home built out of the Maven jars, whose executors are JVMs of their own too. The
 * project reaches executors the way bin/spark-submit-eval ships it: the application jar (built here
 * from the modules' classes) and the dependencies the Spark home does not have, as {@code
 * spark.jars}, with the JVM flags of bin/jvm-flags.sh and the same executor environment.
 *
 * <p>Every process it starts (daemons, and the executors the Workers start) is stopped by {@link
 * #close()}, which checks that none is left.
 */
final class LoopbackCluster implements AutoCloseable {
    /** Dependency paths the application brings itself; a cluster's Spark has the rest. */
    private static final List<String> APP_DEPENDENCIES =
            List.of(
                    "/ai/djl/",
                    "/net/java/dev/jna/",
                    "/com/typesafe/config/",
                    "/info/picocli/",
                    "/org/apache/commons/commons-math3/",
                    "/org/apache/hadoop/hadoop-aws/",
                    "/software/amazon/");

    private final Path dir;
    private final Path sparkHome;
    private final String jvmFlags;
    private final List<String> shipped;
    private final List<Process> daemons = new ArrayList<>();
    private final Set<Long> seen = new LinkedHashSet<>();
    private final int port;
    private final Path masterLog;

    private LoopbackCluster(Path dir, int workers) throws IOException, InterruptedException {
        this.dir = dir;
        this.jvmFlags = readJvmFlags();
        List<String> runtime = runtimeClasspath();
        this.sparkHome = Files.createDirectories(dir.resolve("spark-home"));
        Path jars = Files.createDirectories(sparkHome.resolve("jars"));
        Files.createDirectories(sparkHome.resolve("conf"));
        List<String> appDeps = new ArrayList<>();
        List<Path> classDirs = new ArrayList<>();
        for (String e : runtime) {
            Path p = Path.of(e);
            if (Files.isDirectory(p)) {
                classDirs.add(p);
            } else if (APP_DEPENDENCIES.stream().anyMatch(e::contains)) {
                appDeps.add(e);
            } else {
                Files.createSymbolicLink(jars.resolve(p.getFileName()), p);
            }
        }
        classDirs.add(TinyRuns.ROOT.resolve("jobs/target/classes").toAbsolutePath());
        Path appJar = dir.resolve("diffpure-jobs-app.jar");
        jar(classDirs, appJar);
        // bin/spark-submit-eval's rule: ship what the cluster's Spark lacks (by file name).
        this.shipped = new ArrayList<>(List.of(appJar.toString()));
        for (String d : appDeps) {
            if (!Files.exists(jars.resolve(Path.of(d).getFileName()))) {
                shipped.add(d);
            }
        }
        this.port = freePort();
        this.masterLog = dir.resolve("master.log");
        daemons.add(
                daemon(
                        masterLog,
                        "org.apache.spark.deploy.master.Master",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        "" + port,
                        "--webui-port",
                        "0"));
        for (int i = 0; i < workers; i++) {
            Path work = Files.createDirectories(dir.resolve("work-" + i));
            daemons.add(
                    daemon(
                            dir.resolve("worker-" + i + ".log"),
                            "org.apache.spark.deploy.worker.Worker",
                            "--host",
                            "127.0.0.1",
                            "--port",
                            "0",
                            "--webui-port",
                            "0",
                            "--cores",
                            "1",
                            "--memory",
                            "1g",
                            "--work-dir",
                            work.toString(),
                            master()));
        }
        awaitLog(masterLog, "Registering worker", workers, 180);
    }

    /** Starts a Master and workers Workers (1 core each) with their files under dir. */
    static LoopbackCluster start(Path dir, int workers) {
        try {
            return new LoopbackCluster(dir, workers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The master URL. */
    String master() {
        return "spark://127.0.0.1:" + port;
    }

    /** The flags of bin/jvm-flags.sh that every launch uses. */
    String jvmFlags() {
        return jvmFlags;
    }

    /** The flags of bin/jvm-flags.sh (read from the script, so that both stay one list). */
    static String readJvmFlags() {
        return run(
                        "bash",
                        "-c",
                        "source '"
                                + TinyRuns.ROOT.resolve("bin/jvm-flags.sh")
                                + "' && echo \"$DIFFPURE_JVM_FLAGS\"")
                .trim();
    }

    /**
     * The settings bin/spark-submit-eval gives a job (shipped jars, executor flags and
     * environment), for a client-mode driver on 127.0.0.1.
     */
    Map<String, String> sparkConf() {
        Map<String, String> c = new HashMap<>();
        c.put("spark.master", master());
        c.put("spark.driver.host", "127.0.0.1");
        c.put("spark.driver.bindAddress", "127.0.0.1");
        c.put("spark.ui.enabled", "false");
        c.put("spark.executor.memory", "768m");
        c.put("spark.jars", String.join(",", shipped));
        c.put("spark.executor.extraJavaOptions", jvmFlags);
        c.put("spark.executorEnv.DJL_OFFLINE", "true");
        c.put("spark.executorEnv.OPT_OUT_TRACKING", "true");
        c.put("spark.executorEnv.OMP_NUM_THREADS", "1");
        c.put("spark.executorEnv.MALLOC_TRIM_THRESHOLD_", "1073741824");
        c.put("spark.executorEnv.MALLOC_MMAP_THRESHOLD_", "33554432");
        c.put("spark.task.maxFailures", "4");
        c.put("spark.executor.heartbeatInterval", "2s");
        c.put("spark.sql.shuffle.partitions", "2");
        return c;
    }

    /** A session of this cluster, in this JVM. */
    SparkSession session(String app) {
        SparkSession.Builder b = SparkSession.builder().appName(app);
        sparkConf().forEach(b::config);
        return b.getOrCreate();
    }

    /** The runtime classpath entries (modules' class directories and dependency jars). */
    static List<String> runtimeClasspath() {
        Path f = TinyRuns.ROOT.resolve("jobs/target/runtime-classpath.txt");
        try {
            return Arrays.stream(Files.readString(f).trim().split(":"))
                    .filter(s -> !s.isEmpty())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "reading " + f + " (written by mvn generate-test-resources)", e);
        }
    }

    /** The live executor JVMs of an application (started by this cluster's Workers). */
    List<ProcessHandle> executors(String appId) {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process d : daemons) {
            d.toHandle()
                    .descendants()
                    .filter(
                            h ->
                                    h.info()
                                            .arguments()
                                            .map(
                                                    a ->
                                                            List.of(a)
                                                                            .contains(
                                                                                    "org.apache.spark.executor.CoarseGrainedExecutorBackend")
                                                                    && List.of(a).contains(appId))
                                            .orElse(false))
                    .forEach(out::add);
        }
        synchronized (seen) {
            out.forEach(h -> seen.add(h.pid()));
        }
        return out;
    }

    /** Every process this cluster started that is alive now: daemons and their descendants. */
    List<ProcessHandle> processes() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process d : daemons) {
            if (d.isAlive()) {
                out.add(d.toHandle());
            }
            d.toHandle().descendants().forEach(out::add);
        }
        synchronized (seen) {
            out.forEach(h -> seen.add(h.pid()));
        }
        return out;
    }

    /** Pids of every process seen started by this cluster so far. */
    Set<Long> seenPids() {
        processes();
        synchronized (seen) {
            return new LinkedHashSet<>(seen);
        }
    }

    /**
     * The local addresses of the TCP sockets the given processes listen on ("127.0.0.1:port" and
     * the like), from /proc/net/tcp and tcp6.
     */
    static List<String> listening(Set<Long> pids) throws IOException {
        Set<String> inodes = new LinkedHashSet<>();
        for (long pid : pids) {
            Path fds = Path.of("/proc", "" + pid, "fd");
            if (!Files.isDirectory(fds)) {
                continue;
            }
            try (Stream<Path> s = Files.list(fds)) {
                for (Path fd : s.toList()) {
                    try {
                        String t = Files.readSymbolicLink(fd).toString();
                        if (t.startsWith("socket:[")) {
                            inodes.add(t.substring(8, t.length() - 1));
                        }
                    } catch (IOException gone) {
                        // closed while listing
                    }
                }
            } catch (IOException gone) {
                // the process ended while listing
            }
        }
        List<String> out = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                // f[1] local address hex:port, f[3] state (0A = LISTEN), f[9] inode
                if (f[3].equals("0A") && inodes.contains(f[9])) {
                    out.add(address(f[1]));
                }
            }
        }
        return out;
    }

    /** /proc/net/tcp's hex address (little-endian words) as text. */
    private static String address(String hex) {
        String[] ap = hex.split(":");
        byte[] b = new byte[ap[0].length() / 2];
        for (int w = 0; w < b.length / 4; w++) {
            for (int i = 0; i < 4; i++) {
                int at = (w * 4 + (3 - i)) * 2;
                b[w * 4 + i] = (byte) Integer.parseInt(ap[0].substring(at, at + 2), 16);
            }
        }
        try {
            InetAddress a = InetAddress.getByAddress(b);
            return a.getHostAddress() + ":" + Integer.parseInt(ap[1], 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether a listening address is on the loopback interface. */
    static boolean loopback(String address) {
        String host = address.substring(0, address.lastIndexOf(':'));
        return host.equals("127.0.0.1")
                || host.equals("0:0:0:0:0:0:0:1")
                || host.equals("0:0:0:0:0:ffff:7f00:1");
    }

    @Override
    public void close() {
        List<ProcessHandle> all = processes();
        // Workers first (they stop their executors), then the Master: SIGTERM, then SIGKILL.
        for (int i = daemons.size() - 1; i >= 0; i--) {
            stop(daemons.get(i).toHandle());
        }
        for (ProcessHandle h : all) {
            stop(h);
        }
        List<Long> left = seenPids().stream().filter(p -> ProcessHandle.of(p).isPresent()).toList();
        if (!left.isEmpty()) {
            throw new IllegalStateException("processes left running: " + left);
        }
    }

    private static void stop(ProcessHandle h) {
        List<ProcessHandle> kids = h.descendants().toList();
        h.destroy();
        try {
            h.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            h.destroyForcibly();
            try {
                h.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // reported by close() as left running
            }
        }
        kids.forEach(LoopbackCluster::stop);
    }

    private Process daemon(Path log, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(jvmFlags.split("\\s+")));
        cmd.addAll(
                List.of(
                        "-Xmx256m",
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-Dspark.master.rest.enabled=false",
                        "-cp",
                        sparkHome.resolve("jars") + "/*",
                        main));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        seen.add(p.pid());
        return p;
    }

    /** Waits until a log holds a line n times. */
    static void awaitLog(Path log, String text, int n, int seconds)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (true) {
            String s = Files.exists(log) ? Files.readString(log) : "";
            if (s.split(java.util.regex.Pattern.quote(text), -1).length - 1 >= n) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "no " + n + " x '" + text + "' in " + log + " after " + seconds + " s:\n"
                                + s);
            }
            Thread.sleep(200);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void jar(List<Path> classDirs, Path jar) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (Path d : classDirs) {
                try (Stream<Path> s = Files.walk(d)) {
                    for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                        String name = d.relativize(f).toString().replace('\\', '/');
                        if (!names.add(name)) {
                            continue;
                        }
                        out.putNextEntry(new JarEntry(name));
                        Files.copy(f, out);
                        out.closeEntry();
                    }
                }
            }
        }
    }

    /** Runs a command and returns its output; fails on a non-zero exit. */
    static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
