package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigError;
import diffpure.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * attack.gradient-mode = auto in the evaluation job: the samples table records the mode used, the
 * runs table's config what was configured, and a budget small enough to switch mode and split the
 * calls leaves the clean votes as they were.
 */
class GradientModeAutoJobTest {
    @TempDir static Path tmp;
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = TinyRuns.session("GradientModeAutoJobTest");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static List<Row> run(String name, String budget) {
        ConfigLoader.Loaded cfg =
                TinyRuns.config(
                        tmp.resolve(name),
                        "attack.gradient-mode=auto",
                        "runtime.memory-budget=" + budget);
        EvaluationJob.Outcome o = EvaluationJob.run(spark, cfg, TinyRuns.options());
        assertTrue(o.complete());
        String config = spark.read().parquet(o.runsPath()).select("config").first().getString(0);
        assertTrue(
                config.contains("gradient-mode=auto")
                        || config.contains("gradient-mode = auto")
                        || config.contains("\"gradient-mode\" : \"auto\""),
                config);
        return spark.read()
                .parquet(o.samplesPath())
                .where(functions.col("run_id").equalTo(o.runId()))
                .orderBy("sample_index")
                .collectAsList();
    }

    @Test
    void aBudgetNothingFitsIsRefusedOnTheDriverNamingTheKey() {
        ConfigLoader.Loaded cfg =
                TinyRuns.config(
                        tmp.resolve("none"),
                        "attack.gradient-mode=auto",
                        "runtime.memory-budget=1m");
        ConfigError e =
                assertThrows(
                        ConfigError.class, () -> EvaluationJob.run(spark, cfg, TinyRuns.options()));
        assertTrue(
                e.getMessage().startsWith("runtime.memory-budget = 1.0 MiB (1048576 bytes)")
                        && e.getMessage().contains("not even checkpointed fits"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("none").resolve("samples")), "no task ran");
    }

    @Test
    void theRowsRecordTheModeUsedAndASmallerBudgetKeepsTheCleanVotes() {
        // 5 steps, 2 images x EOT 2 per call: backprop needs ~16 MB a row, exact ~3.3 MB
        List<Row> roomy = run("roomy", "128m");
        List<Row> tight = run("tight", "8m");
        assertEquals(6, roomy.size());
        assertEquals(6, tight.size());
        for (int i = 0; i < 6; i++) {
            assertEquals("backprop", roomy.get(i).getAs("gradient_mode"));
            assertEquals("exact", tight.get(i).getAs("gradient_mode"));
            assertEquals(
                    roomy.get(i).getList(roomy.get(i).fieldIndex("clean_votes")),
                    tight.get(i).getList(tight.get(i).fieldIndex("clean_votes")),
                    "clean votes of sample " + i);
        }
    }
}
