package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import diffpure.config.ConfigLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every notebook in notebooks/ headlessly (jupyter nbconvert --execute) against the tables of
 * a small demo run; any failing cell fails the test. Skipped only where jupyter is not installed
 * (.ci/run installs it).
 */
class NotebooksTest {
    @TempDir Path tmp;

    private static boolean jupyterPresent() {
        try {
            Process p =
                    new ProcessBuilder("jupyter", "nbconvert", "--version")
                            .redirectErrorStream(true)
                            .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void everyNotebookRunsHeadlesslyAgainstADemoRun() throws IOException, InterruptedException {
        assumeTrue(jupyterPresent(), "jupyter nbconvert is not installed (.ci/run installs it)");
        Path notebooks = TinyRuns.ROOT.resolve("notebooks");
        List<Path> all;
        try (Stream<Path> s = Files.list(notebooks)) {
            all = s.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
        }
        assertEquals(4, all.size(), "notebooks: " + all);

        SparkSession spark = TinyRuns.session("NotebooksTest");
        // With budget checkpoints, so that accuracy_by_setting draws a budget curve.
        ConfigLoader.Loaded c =
                TinyRuns.config(tmp.resolve("tables"), "attack.budget-checkpoints=[0, 1, 2]");
        try {
            assertTrue(EvaluationJob.run(spark, c, TinyRuns.options()).complete());
        } finally {
            spark.stop();
        }
        String classpath =
                System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path"));
        for (Path nb : all) {
            Path out = tmp.resolve("executed");
            ProcessBuilder pb =
                    new ProcessBuilder(
                                    "jupyter",
                                    "nbconvert",
                                    "--to",
                                    "notebook",
                                    "--execute",
                                    "--ExecutePreprocessor.timeout=600",
                                    "--output-dir",
                                    out.toString(),
                                    nb.toString())
                            .redirectErrorStream(true);
            pb.environment().put("DIFFPURE_TABLES", c.config().run().output());
            pb.environment().put("DIFFPURE_CLASSPATH", classpath);
            pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
            pb.environment().remove("PYSPARK_PYTHON");
            Process p = pb.start();
            String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(15, TimeUnit.MINUTES), nb + " did not finish");
            assertEquals(0, p.exitValue(), nb.getFileName() + " failed:\n" + tail(printed));
            String executed = Files.readString(out.resolve(nb.getFileName()));
            assertFalse(
                    executed.contains("\"output_type\": \"error\""), nb + " has an error output");
            assertTrue(executed.contains("\"execution_count\": 1"), nb + " was not executed");
        }
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }
}
