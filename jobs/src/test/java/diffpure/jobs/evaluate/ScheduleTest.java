package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.jobs.cli.ReportCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command lines of the scheduling examples (conf/schedule/crontab and nightly-cronjob.yaml) run
 * as written, on a tiny experiment: the nightly evaluation and its report, and the exit-code
 * branches they document.
 */
class ScheduleTest {
    @TempDir Path tmp;

    /** The tiny experiment as a file, as a scheduler would name one. */
    private Path experiment() throws IOException {
        StringBuilder b = new StringBuilder();
        for (String kv : TinyRuns.overrides(tmp.resolve("unused"))) {
            int eq = kv.indexOf('=');
            String key = kv.substring(0, eq);
            if (!key.equals("run.output")) {
                b.append(key).append(" = \"").append(kv.substring(eq + 1)).append("\"\n");
            }
        }
        Path f = tmp.resolve("tiny.conf");
        Files.writeString(f, b.toString());
        return f;
    }

    private record Run(int code, String out) {}

    private Run sh(String command, Map<String, String> env)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true);
        pb.directory(TinyRuns.ROOT.toFile());
        pb.environment().putAll(env);
        pb.environment()
                .put(
                        "DIFFPURE_CLASSPATH",
                        System.getProperty(
                                "surefire.test.class.path", System.getProperty("java.class.path")));
        pb.environment().put("SPARK_MASTER", "local[2]");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.MINUTES), command);
        return new Run(p.exitValue(), out);
    }

    @Test
    void cronEntryAndCronJobCommandLinesRunAsDocumented() throws IOException, InterruptedException {
        Path root = TinyRuns.ROOT;
        // crontab: NAME=value lines, then one job line of five schedule fields and a command.
        String cron = null;
        Map<String, String> vars = new HashMap<>();
        for (String line : Files.readAllLines(root.resolve("conf/schedule/crontab"))) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            if (line.matches("[A-Z_]+=.*")) {
                vars.put(
                        line.substring(0, line.indexOf('=')),
                        line.substring(line.indexOf('=') + 1));
            } else {
                String[] f = line.split("\\s+", 6);
                assertEquals(6, f.length, line);
                // cron hands the command to /bin/sh with \% turned into %.
                cron = f[5].replace("\\%", "%");
            }
        }
        assertTrue(
                cron != null && cron.contains("bin/diffpure evaluate \"$EXPERIMENT\" --report"),
                cron);
        assertEquals(
                List.of("DIFFPURE_HOME", "EXPERIMENT", "LOG", "OUTPUT"),
                vars.keySet().stream().sorted().toList());
        // Both schedule a nightly preset (a stopping rule and a hard budget), one that exists.
        String preset = vars.get("EXPERIMENT");
        assertTrue(
                preset.startsWith("conf/experiments/nightly/")
                        && Files.isRegularFile(root.resolve(preset)),
                preset);
        assertTrue(
                Files.readString(root.resolve("conf/schedule/nightly-cronjob.yaml"))
                        .contains("value: " + preset),
                "the CronJob runs the crontab's preset " + preset);
        Path output = tmp.resolve("nightly");
        Path log = tmp.resolve("nightly.log");
        Map<String, String> env = new HashMap<>();
        env.put("DIFFPURE_HOME", root.toString());
        env.put("EXPERIMENT", experiment().toString());
        env.put("OUTPUT", output.toString());
        env.put("LOG", log.toString());
        Run r = sh(cron, env);
        String logged = Files.readString(log);
        assertEquals(0, r.code(), r.out() + logged);
        assertFalse(r.out().contains("diffpure nightly exit"), r.out() + logged);
        assertTrue(logged.contains("report: " + output + "/report/report.html"), logged);
        assertTrue(Files.size(output.resolve("report/report.html")) > 10_000);

        // A failing night names its exit code (2: the experiment file is missing).
        env.put("EXPERIMENT", tmp.resolve("missing.conf").toString());
        Run failed = sh(cron, env);
        assertTrue(
                failed.out()
                        .contains(
                                "diffpure nightly exit 2 (3 regression, 4 input missing, 2 error)"),
                failed.out());

        // The CronJob's container command, with its env values replaced by the tiny experiment.
        List<String> yaml = Files.readAllLines(root.resolve("conf/schedule/nightly-cronjob.yaml"));
        String args = null;
        List<Integer> failJobCodes = new ArrayList<>();
        for (int i = 0; i < yaml.size(); i++) {
            String t = yaml.get(i).trim();
            if (t.equals("args:")) {
                args = yaml.get(i + 1).trim().substring(2);
            }
            if (t.startsWith("values: [")) {
                for (String v : t.substring(9, t.indexOf(']')).split(",")) {
                    failJobCodes.add(Integer.parseInt(v.trim()));
                }
            }
        }
        assertEquals(List.of(ReportCommand.REGRESSION, ReportCommand.INPUT_MISSING), failJobCodes);
        env.put("EXPERIMENT", experiment().toString());
        env.remove("LOG");
        Run k8s = sh(args, env);
        // The same night's run id: the pod resumes the cron's run, finds nothing left, and reports.
        assertEquals(0, k8s.code(), k8s.out());
        assertTrue(
                k8s.out().contains("resuming")
                        && k8s.out().contains("report: " + output + "/report/report.html"),
                k8s.out());

        // The report alone on an output without tables: exit 4.
        Run missing =
                sh(
                        "bin/diffpure report --output \"$OUTPUT\"",
                        Map.of("OUTPUT", tmp.resolve("empty").toString()));
        assertEquals(ReportCommand.INPUT_MISSING, missing.code(), missing.out());
        assertTrue(
                missing.out()
                        .contains(
                                "error: no samples table at " + tmp.resolve("empty") + "/samples"),
                missing.out());
    }
}
