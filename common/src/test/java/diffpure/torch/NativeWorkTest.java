package diffpure.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.PtClassifier;
import diffpure.testing.DemoFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM terminated (SIGTERM, as Ctrl-C's SIGINT) while a thread runs the demo classifier in a loop:
 * the shutdown stops that thread at its next model call, refuses it new work, waits until it has
 * left, and only then lets the JVM exit: exit code 143, no crash dump. Without the wait the JVM
 * would exit before the thread says "left" (it sleeps first).
 */
class NativeWorkTest {
    @TempDir Path dir;

    @Test
    void aTerminatedJvmStopsItsComputingThreadAtAModelCallAndWaitsForIt()
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Child.class.getName());
        cmd.add(DemoFiles.classifier().toAbsolutePath().toString());
        Path err = Files.createTempFile("native-work-child", ".err");
        Process p =
                new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(err.toFile()).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (line.equals("computing")) {
                    p.toHandle().destroy(); // SIGTERM; Process.destroy would close the pipe
                }
            }
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), lines.toString());
        String said = lines + "\n" + Files.readString(err);
        Files.delete(err);
        assertEquals(143, p.exitValue(), said);
        assertEquals(4, lines.size(), said);
        assertEquals("computing", lines.get(0));
        assertEquals(
                "stopped at a model call: stopped: the process is shutting down (interrupted or"
                        + " terminated)",
                lines.get(1));
        assertEquals("new work refused", lines.get(2));
        assertEquals("left", lines.get(3));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.map(f -> f.getFileName().toString()).toList());
        }
    }

    /** The child JVM: one thread classifies a batch over and over inside a scope. */
    public static final class Child {
        public static void main(String[] args) throws InterruptedException {
            PtClassifier clf = PtClassifier.load(Path.of(args[0]), Device.cpu());
            Thread worker =
                    new Thread(
                            () -> {
                                try (NativeWork.Scope s = NativeWork.enter()) {
                                    classifyUntilStopped(clf);
                                }
                            });
            worker.start();
            worker.join();
        }

        /** Inside the scope: says what happened, sleeps, and says it leaves. */
        private static void classifyUntilStopped(PtClassifier clf) {
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                NDArray x = m.ones(new Shape(64).addAll(clf.imageShape())).mul(0.5f);
                for (long i = 0; ; i++) {
                    clf.logits(x).close();
                    if (i == 0) {
                        System.out.println("computing");
                    }
                }
            } catch (NativeWork.Stopped e) {
                System.out.println("stopped at a model call: " + e.getMessage());
                try {
                    NativeWork.enter().close();
                } catch (NativeWork.Stopped again) {
                    System.out.println("new work refused");
                }
                sleep(1000);
                System.out.println("left");
            }
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
