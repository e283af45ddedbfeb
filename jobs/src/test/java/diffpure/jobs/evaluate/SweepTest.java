package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigLoader;
import diffpure.config.ReportSettings;
import diffpure.eval.SampleOutcome;
import diffpure.jobs.report.Charts;
import diffpure.jobs.report.ReportData;
import diffpure.jobs.report.ReportJob;
import diffpure.jobs.rescore.RescoreJob;
import diffpure.jobs.store.TablePaths;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An eps sweep runs as separate attack settings of one run, and the report draws its curve. */
class SweepTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static ConfigLoader.Loaded loaded;
    private static EvaluationJob.Outcome outcome;

    @BeforeAll
    static void evaluate() {
        spark = TinyRuns.session("SweepTest");
        loaded = TinyRuns.config(tmp.resolve("sweep"), "sweep.eps=[\"0\", \"8/255\"]");
        outcome = EvaluationJob.run(spark, loaded, TinyRuns.options());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static Dataset<Row> rows() {
        return spark.read()
                .parquet(outcome.samplesPath())
                .where(functions.col("run_id").equalTo(outcome.runId()));
    }

    @Test
    void eachSweptEpsIsASettingOfTheSameRunOnTheSameSamples() {
        assertTrue(outcome.complete());
        assertEquals(4, outcome.chunksRun(), "2 chunks per setting");
        assertEquals(2, loaded.config().settings().size());
        List<Row> per =
                rows().groupBy("eps")
                        .agg(
                                functions.count("*"),
                                functions.countDistinct("sample_id"),
                                functions.max("linf"))
                        .orderBy("eps")
                        .collectAsList();
        assertEquals(2, per.size());
        assertEquals(0.0, per.get(0).getDouble(0));
        assertEquals(8 / 255.0, per.get(1).getDouble(0), 1e-12);
        for (Row r : per) {
            assertEquals(6L, r.getLong(1));
            assertEquals(6L, r.getLong(2));
            assertTrue(
                    r.getDouble(3) <= r.getDouble(0) + 1e-6,
                    "perturbations inside each setting's eps: " + r);
        }
        assertEquals(0.0, per.get(0).getDouble(3), "eps 0 leaves the images as they are");
        assertEquals(1, rows().select("config_hash").distinct().count());
        assertEquals(
                12,
                spark.read()
                        .parquet(outcome.runsPath())
                        .where(functions.col("run_id").equalTo(outcome.runId()))
                        .first()
                        .<Integer>getAs("samples"));
    }

    @Test
    void aRowOfTheSecondSettingReplaysAndRescoresExactly() {
        Row row = rows().where("eps > 0").orderBy("sample_id").first();
        SampleOutcome o = Replay.sample(loaded.config(), row, new Configuration());
        assertArrayEquals(
                row.getList(row.fieldIndex("adversarial_votes")).stream()
                        .mapToInt(v -> (Integer) v)
                        .toArray(),
                o.votes().adversarial());
        String output = loaded.config().run().output();
        RescoreJob.run(
                spark,
                new RescoreJob.Request(output, outcome.runId(), List.of(), "same", "test"),
                System.out);
        Dataset<Row> r =
                spark.read()
                        .parquet(TablePaths.rescores(output))
                        .where(functions.col("rescore_id").equalTo("same"));
        assertEquals(12, r.count());
        Dataset<Row> joined =
                rows().selectExpr("sample_id", "eps", "clean_votes AS a", "adversarial_votes AS b")
                        .join(
                                r.selectExpr(
                                        "sample_id AS sid",
                                        "eps AS e",
                                        "clean_votes AS c",
                                        "adversarial_votes AS d"),
                                functions.expr("sample_id = sid AND eps = e"));
        assertEquals(12, joined.count());
        assertEquals(
                0, joined.where("a != c OR b != d").count(), "votes reproduced for both settings");
    }

    @Test
    void theReportDrawsTheEpsCurve() {
        ReportData d =
                ReportJob.build(
                        spark,
                        loaded.config().run().output(),
                        new ReportSettings("", 0.05, "majority"));
        assertEquals(2, d.settings().size());
        List<String> ids = Charts.all(d).stream().map(Charts.Chart::id).toList();
        assertTrue(ids.contains("sweep-eps"), ids.toString());
        assertTrue(!ids.contains("sweep-t-star"), ids.toString());
    }
}
