package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigError;
import diffpure.config.ManifestLimits;
import diffpure.jobs.run.ModelCache;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * attack.name = lf through the evaluation job on the demo models, its bound measured by the
 * stand-in perceptual model (model.perceptual, loaded on the executors): the samples' norm column
 * names the network by its sha256, and the gradient-masking checks run with Square recorded as not
 * applicable.
 */
class LfJobTest {
    private static final Path STANDIN =
            TinyRuns.ROOT.resolve(
                    "common/src/test/resources/fixtures/exported/standin-perceptual.pt");

    @TempDir static Path tmp;
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = TinyRuns.session("LfJobTest");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static String[] lf(String... more) {
        List<String> all =
                new java.util.ArrayList<>(
                        List.of(
                                "attack.name=lf",
                                "attack.norm=lpips",
                                "attack.eps=0.0001",
                                "attack.iterations=3",
                                "attack.early-stop=plurality",
                                "model.perceptual=" + STANDIN,
                                "data.count=2"));
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    @Test
    void theNormColumnNamesTheNetworkAndTheChecksSkipSquare() {
        EvaluationJob.Outcome o =
                EvaluationJob.run(
                        spark,
                        TinyRuns.config(tmp.resolve("lf"), lf("sanity.subset=2")),
                        TinyRuns.options());
        assertTrue(o.complete());
        String sha =
                ModelCache.manifestOf(
                        STANDIN.toString(), new Configuration(), ManifestLimits.DEFAULTS)[1];
        List<Row> rows =
                spark.read()
                        .parquet(o.samplesPath())
                        .where(functions.col("run_id").equalTo(o.runId()))
                        .collectAsList();
        assertEquals(2, rows.size());
        // each executor JVM loaded the perceptual model once, and the runs row keeps its sha256
        assertTrue(!o.modelLoads().isEmpty(), "model loads reported");
        for (ExecutorLoads l : o.modelLoads()) {
            assertEquals(1, l.perceptual(), l.toString());
        }
        Row run =
                spark.read()
                        .parquet(o.runsPath())
                        .where(functions.col("run_id").equalTo(o.runId()))
                        .first();
        assertEquals(sha, run.<String>getAs("perceptual_sha256"));
        for (Row r : rows) {
            assertEquals("lpips:" + sha.substring(0, 16), r.<String>getAs("norm"));
            assertEquals("lf", r.<String>getAs("attack"));
            assertTrue(r.<Long>getAs("gradient_evaluations") > 0);
            assertTrue(r.isNullAt(r.fieldIndex("error")), "no error");
        }
        String sanity =
                spark.read()
                        .parquet(o.runsPath())
                        .where(functions.col("run_id").equalTo(o.runId()))
                        .first()
                        .getAs("sanity");
        assertTrue(sanity.contains("uses a perceptual bound"), sanity);
    }

    @Test
    void aPerceptualModelOfAnotherKindIsRefusedBeforeAnyTask() {
        ConfigError e =
                assertThrows(
                        ConfigError.class,
                        () ->
                                Preflight.check(
                                        TinyRuns.config(
                                                        tmp.resolve("wrong"),
                                                        lf(
                                                                "model.perceptual="
                                                                        + TinyRuns.ROOT.resolve(
                                                                                "models/demo/classifier.pt")))
                                                .config(),
                                        new Configuration()));
        assertTrue(
                e.getMessage().contains("is a classifier model, not a perceptual model"),
                e.getMessage());
    }
}
