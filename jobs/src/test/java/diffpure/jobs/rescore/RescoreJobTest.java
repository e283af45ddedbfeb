package diffpure.jobs.rescore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigError;
import diffpure.config.ConfigLoader;
import diffpure.config.ReportSettings;
import diffpure.jobs.cli.ReplayCommand;
import diffpure.jobs.evaluate.EvaluationJob;
import diffpure.jobs.evaluate.TinyRuns;
import diffpure.jobs.report.ReportData;
import diffpure.jobs.report.ReportJob;
import diffpure.jobs.report.ReportWriter;
import diffpure.jobs.report.RescoreFigures;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TablePaths;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RescoreJobTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static String output;
    private static String runId;

    @BeforeAll
    static void evaluate() {
        spark = TinyRuns.session("RescoreJobTest");
        ConfigLoader.Loaded c = TinyRuns.config(tmp.resolve("run"));
        EvaluationJob.Outcome o = EvaluationJob.run(spark, c, TinyRuns.options());
        assertTrue(o.complete());
        output = c.config().run().output();
        runId = o.runId();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static Dataset<Row> rescored(String id) {
        return spark.read()
                .parquet(TablePaths.rescores(output))
                .where(functions.col("rescore_id").equalTo(id));
    }

    @Test
    void rescoringWithTheSameSettingsReproducesTheVotesExactly() {
        RescoreJob.Outcome r =
                RescoreJob.run(
                        spark,
                        new RescoreJob.Request(output, runId, List.of(), "same", "test"),
                        System.out);
        assertEquals(2, r.chunksRun());
        Dataset<Row> src =
                spark.read()
                        .parquet(TablePaths.samples(output))
                        .where(functions.col("run_id").equalTo(runId));
        List<Row> joined =
                src.selectExpr("sample_id", "clean_votes AS sc", "adversarial_votes AS sa")
                        .join(
                                rescored("same")
                                        .selectExpr(
                                                "sample_id",
                                                "clean_votes AS rc",
                                                "adversarial_votes AS ra",
                                                "source_run_id",
                                                "rescore_votes"),
                                "sample_id")
                        .collectAsList();
        assertEquals(6, joined.size());
        for (Row j : joined) {
            assertEquals(j.getList(1), j.getList(3), "clean votes of sample " + j.get(0));
            assertEquals(j.getList(2), j.getList(4), "adversarial votes of sample " + j.get(0));
            assertEquals(runId, j.getString(5));
            assertEquals(3, j.getInt(6));
        }
        // The report shows the rescore beside the original, with equal figures here.
        ReportData d = ReportJob.build(spark, output, new ReportSettings("", 0.05, "majority"));
        List<RescoreFigures> rs = d.rescoresOf(d.settings().get(0).newest());
        RescoreFigures same =
                rs.stream().filter(x -> x.rescoreId().equals("same")).findFirst().orElseThrow();
        assertEquals(d.settings().get(0).newest().robustMajority(), same.robust().get("majority"));
        assertEquals(
                d.settings().get(0).newest().clean().get("single"), same.clean().get("single"));
        ReportWriter.Written w =
                ReportWriter.write(
                        d,
                        tmp.resolve("report").toString(),
                        spark.sparkContext().hadoopConfiguration());
        String html = read(Path.of(w.html()));
        assertTrue(html.contains("rescored robust"), "rescore columns in the HTML");
    }

    @Test
    void aTableOfAnOlderSchemaIsRescored() {
        // The run's rows as a schema-2 table wrote them (no budget_checkpoints), beside its runs.
        String older = tmp.resolve("schema-2").toUri().toString();
        List<org.apache.spark.sql.Column> v2 = new java.util.ArrayList<>();
        for (String f : SamplesTable.schemaOf(2).fieldNames()) {
            v2.add(f.equals("schema_version") ? functions.lit(2).as(f) : functions.col(f));
        }
        spark.read()
                .parquet(TablePaths.samples(output))
                .where(functions.col("run_id").equalTo(runId))
                .select(v2.toArray(new org.apache.spark.sql.Column[0]))
                .write()
                .partitionBy("run_id", "chunk")
                .parquet(TablePaths.samples(older));
        spark.read()
                .parquet(TablePaths.runs(output))
                .where(functions.col("run_id").equalTo(runId))
                .write()
                .partitionBy("run_id")
                .parquet(TablePaths.runs(older));
        RescoreJob.Outcome r =
                RescoreJob.run(
                        spark,
                        new RescoreJob.Request(older, runId, List.of(), "of-v2", "test"),
                        System.out);
        assertEquals(2, r.chunksRun());
        List<Row> joined =
                spark.read()
                        .parquet(TablePaths.samples(older))
                        .selectExpr("sample_id", "adversarial_votes AS sa")
                        .join(
                                spark.read()
                                        .parquet(TablePaths.rescores(older))
                                        .selectExpr("sample_id", "adversarial_votes AS ra"),
                                "sample_id")
                        .collectAsList();
        assertEquals(6, joined.size());
        for (Row j : joined) {
            assertEquals(j.getList(1), j.getList(2), "adversarial votes of sample " + j.get(0));
        }
    }

    @Test
    void moreVotesResumeAfterAKillAndEqualAnUninterruptedRescore() {
        RescoreJob.Outcome first =
                RescoreJob.run(
                        spark,
                        new RescoreJob.Request(
                                output, runId, List.of("eval.votes=5"), "k5", "test", 1),
                        System.out);
        assertEquals(1, first.chunksRun());
        assertEquals(4, rescored("k5").count(), "one chunk of 4 samples");
        RescoreJob.Outcome resumed =
                RescoreJob.run(
                        spark,
                        new RescoreJob.Request(
                                output, runId, List.of("eval.votes=5"), "k5", "test"),
                        System.out);
        assertEquals(1, resumed.chunksRun());
        assertEquals(1, resumed.chunksSkipped());
        RescoreJob.run(
                spark,
                new RescoreJob.Request(output, runId, List.of("eval.votes=5"), "k5-whole", "test"),
                System.out);
        Dataset<Row> a =
                rescored("k5")
                        .select(
                                "sample_id",
                                "clean_votes",
                                "adversarial_votes",
                                "clean_logit_prediction",
                                "adversarial_logit_prediction");
        Dataset<Row> b =
                rescored("k5-whole")
                        .select(
                                "sample_id",
                                "clean_votes",
                                "adversarial_votes",
                                "clean_logit_prediction",
                                "adversarial_logit_prediction");
        assertEquals(6, a.count());
        assertEquals(6, a.select("sample_id").distinct().count());
        assertEquals(0, a.exceptAll(b).count());
        assertEquals(0, b.exceptAll(a).count());
        assertEquals(
                5,
                rescored("k5")
                        .select(functions.size(functions.col("adversarial_votes")))
                        .distinct()
                        .first()
                        .getInt(0));
    }

    @Test
    void aRescoreCannotChangeTheAttack() {
        ConfigError e =
                assertThrows(
                        ConfigError.class,
                        () ->
                                RescoreJob.run(
                                        spark,
                                        new RescoreJob.Request(
                                                output,
                                                runId,
                                                List.of("attack.eps=0.1"),
                                                null,
                                                "test"),
                                        System.out));
        assertTrue(e.getMessage().contains("cannot change 'attack.eps'"), e.getMessage());
    }

    @Test
    void replayCommandRerunsOneSampleFromItsRow() {
        long sample =
                spark.read()
                        .parquet(TablePaths.samples(output))
                        .where(functions.col("run_id").equalTo(runId))
                        .agg(functions.max("sample_id"))
                        .first()
                        .getLong(0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code =
                ReplayCommand.replay(
                        spark,
                        output,
                        runId,
                        sample,
                        new PrintStream(out, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, printed);
        assertTrue(printed.contains("replay identical to the row"), printed);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
