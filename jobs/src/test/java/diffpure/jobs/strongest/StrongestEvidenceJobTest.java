package diffpure.jobs.strongest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigError;
import diffpure.config.ConfigLoader;
import diffpure.jobs.evaluate.EvaluationJob;
import diffpure.jobs.evaluate.TinyRuns;
import diffpure.jobs.store.RescoresTable;
import diffpure.jobs.store.TablePaths;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The strongest-evidence pass on a defence whose law is known: the score-free VP chain and the
 * heavy-tail classifier of {@code tools/test_fixtures.py}. Every image is labelled 0; two thirds
 * are uniform gray (right on every draw), one third uniformly brighter by 77/255, where a vote is
 * right exactly when pixel 0 of the purified image is not brighter than pixel 1: probability 1/2,
 * draw by draw. Ten runs with eps = 0 (each image its own candidate, ten times, with ten seeds)
 * make the minimum over recorded majority verdicts break nearly every coin sample, while fresh
 * votes of the chosen images give each coin sample a majority with probability 1/2.
 */
class StrongestEvidenceJobTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static final Path FIXTURES =
            TinyRuns.ROOT.resolve("common/src/test/resources/fixtures");
    private static final int N = 60;
    private static final int K = 5;
    private static final int RUNS = 10;
    private static String output;
    private static final List<String> runIds = new ArrayList<>();

    @BeforeAll
    static void tenRuns() throws IOException {
        spark = TinyRuns.session("StrongestEvidenceJobTest");
        Path images = tmp.resolve("images-idx3-ubyte");
        Path labels = tmp.resolve("labels-idx1-ubyte");
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(images))) {
            o.writeInt(2051);
            o.writeInt(N);
            o.writeInt(28);
            o.writeInt(28);
            byte[] pixels = new byte[N * 784];
            for (int i = 0; i < N; i++) {
                java.util.Arrays.fill(pixels, i * 784, (i + 1) * 784, (byte) (coin(i) ? 205 : 128));
            }
            o.write(pixels);
        }
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(labels))) {
            o.writeInt(2049);
            o.writeInt(N);
            o.write(new byte[N]);
        }
        for (int seed = 1; seed <= RUNS; seed++) {
            ConfigLoader.Loaded c =
                    TinyRuns.config(
                            tmp.resolve("out"),
                            "data.images=" + images,
                            "data.labels=" + labels,
                            "data.count=" + N,
                            "model.score-model=" + FIXTURES.resolve("zero-score-model-1x28.pt"),
                            "model.classifier=" + FIXTURES.resolve("heavy-tail-classifier.pt"),
                            "run.chunk-samples=" + N,
                            "run.partition-samples=" + N / 2,
                            "run.batch-samples=" + N / 2,
                            "run.seed=" + seed,
                            "attack.eps=0",
                            "attack.iterations=1",
                            "attack.eot=2",
                            "eval.votes=" + K);
            EvaluationJob.Outcome o = EvaluationJob.run(spark, c, TinyRuns.options());
            assertTrue(o.complete());
            runIds.add(o.runId());
            output = c.config().run().output();
        }
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** Every third sample votes right with probability 1/2. */
    private static boolean coin(long sample) {
        return sample % 3 == 2;
    }

    private static Dataset<Row> pass(String id) {
        return spark.read()
                .option("mergeSchema", "true")
                .parquet(TablePaths.rescores(output))
                .where(functions.col("rescore_id").equalTo(id));
    }

    private static String strongest(List<String> excluded) {
        List<diffpure.jobs.rescore.RescoreJob.Outcome> o =
                StrongestJob.run(
                        spark,
                        new StrongestJob.Request(output, excluded, 0, List.of(), "test", -1),
                        System.out);
        assertEquals(1, o.size(), "one threat setting");
        return o.get(0).rescoreId();
    }

    /** Per sample id, the pass row. */
    private static Map<Long, Row> rows(String id) {
        Map<Long, Row> m = new HashMap<>();
        for (Row r : pass(id).collectAsList()) {
            m.put(r.<Long>getAs("sample_id"), r);
        }
        return m;
    }

    private static double majority(Map<Long, Row> rows) {
        return rows.values().stream()
                        .filter(r -> 2 * r.<Integer>getAs("adversarial_correct") > K)
                        .count()
                / (double) N;
    }

    @Test
    void freshVotesOfTheChosenImagesMatchTheirLawWhileTheRecordedMinimumIsBiasedLow()
            throws IOException {
        String id = strongest(List.of());
        Map<Long, Row> rows = rows(id);
        assertEquals(N, rows.size());
        // The choice: per sample the fewest correct recorded votes over the ten runs.
        Map<Long, Integer> fewest = new HashMap<>();
        Map<Long, Boolean> everyVerdictRobust = new HashMap<>();
        for (Row r :
                spark.read()
                        .parquet(TablePaths.samples(output))
                        .select("sample_id", "adversarial_correct")
                        .collectAsList()) {
            long s = r.getLong(0);
            int c = r.getInt(1);
            fewest.merge(s, c, Math::min);
            everyVerdictRobust.merge(s, 2 * c > K, Boolean::logicalAnd);
        }
        int freshDiffers = 0;
        for (Row r : rows.values()) {
            long s = r.<Long>getAs("sample_id");
            assertEquals(RescoresTable.STRONGEST, r.getAs("rescore_kind"));
            assertEquals(fewest.get(s), r.<Integer>getAs("selected_correct"), "sample " + s);
            assertEquals(RUNS, r.<Integer>getAs("candidates"));
            assertEquals(K, r.<Integer>getAs("rescore_votes"));
            assertTrue(runIds.contains(r.<String>getAs("source_run_id")));
            if (!coin(s)) {
                assertEquals(K, r.<Integer>getAs("adversarial_correct"), "gray sample " + s);
            } else if (r.<Integer>getAs("adversarial_correct")
                    != r.<Integer>getAs("selected_correct")) {
                freshDiffers++;
            }
        }
        // Fresh draws, not the recorded ones: the chosen coin images' recorded votes hold at most
        // 2 correct of 5 (the minimum of ten), their fresh votes 5/2 on average.
        assertTrue(freshDiffers > 0);
        double figure = majority(rows);
        double expected = (2 * N / 3 + N / 3 * 0.5) / N;
        double se = Math.sqrt(N / 3 * 0.25) / N;
        double minimum = everyVerdictRobust.values().stream().filter(b -> b).count() / (double) N;
        System.out.printf(
                java.util.Locale.ROOT,
                "strongest evidence (majority of %d fresh votes) %.4f, expected %.4f +- %.4f;"
                        + " minimum over recorded verdicts %.4f%n",
                K,
                figure,
                expected,
                se,
                minimum);
        assertTrue(Math.abs(figure - expected) < 3 * se, figure + " vs " + expected);
        // The view `strongest` (diffpure sql, notebooks, report) gives the same figure.
        diffpure.jobs.cli.SqlCommand.registerViews(spark, output);
        Row view =
                spark.sql(
                                "SELECT count(*), sum(robust_majority), min(strongest_id),"
                                        + " max(strongest_id) FROM strongest")
                        .first();
        assertEquals(N, view.getLong(0));
        assertEquals(figure * N, view.getDouble(1), 1e-9);
        assertEquals(id, view.getString(2));
        assertEquals(id, view.getString(3));
        assertTrue(minimum < expected - 3 * se, "minimum " + minimum);
        // The same choice is the same pass: a rerun finds every chunk done.
        assertEquals(id, strongest(List.of()));
        // Excluding a run changes the candidates, hence the pass; its rows say which.
        String without = strongest(List.of(runIds.get(0)));
        assertNotEquals(id, without);
        for (Row r : rows(without).values()) {
            assertEquals(RUNS - 1, r.<Integer>getAs("candidates"));
            assertEquals(List.of(runIds.get(0)), r.getList(r.fieldIndex("excluded_runs")));
            assertNotEquals(runIds.get(0), r.getAs("source_run_id"));
        }
        plantedRunLowersTheFigureByExactlyItsBreaks(rows);
    }

    /**
     * A planted run whose stored images break three gray samples on every draw (a uniform +0.1
     * moves them into the classifier's always-wrong band): the next pass chooses those three and
     * keeps every other choice, so the figure drops by exactly 3 / N.
     */
    private static void plantedRunLowersTheFigureByExactlyItsBreaks(Map<Long, Row> before)
            throws IOException {
        String source = runIds.get(0);
        List<Long> planted = List.of(0L, 1L, 3L);
        Dataset<Row> rows =
                spark.read()
                        .parquet(TablePaths.samples(output))
                        .where(functions.col("run_id").equalTo(source))
                        .where(functions.col("sample_id").isin(planted.toArray()))
                        .withColumn("run_id", functions.lit("planted"))
                        .withColumn(
                                "perturbation", functions.array_repeat(functions.lit(0.1f), 784))
                        .withColumn(
                                "adversarial_votes", functions.array_repeat(functions.lit(1), K))
                        .withColumn("adversarial_correct", functions.lit(0));
        rows.write()
                .mode("append")
                .partitionBy("run_id", "chunk")
                .parquet(TablePaths.samples(output));
        spark.read()
                .parquet(TablePaths.runs(output))
                .where(functions.col("run_id").equalTo(source))
                .withColumn("run_id", functions.lit("planted"))
                .withColumn(
                        "started",
                        functions.lit(new Timestamp(System.currentTimeMillis() + 3_600_000L)))
                .write()
                .mode("append")
                .partitionBy("run_id")
                .parquet(TablePaths.runs(output));
        Map<Long, Row> after = rows(strongest(List.of()));
        for (long s = 0; s < N; s++) {
            Row a = after.get(s);
            if (planted.contains(s)) {
                assertEquals("planted", a.getAs("source_run_id"));
                assertEquals(0, a.<Integer>getAs("adversarial_correct"), "planted " + s);
                assertEquals(K, before.get(s).<Integer>getAs("adversarial_correct"));
            } else {
                assertEquals(
                        before.get(s).<String>getAs("source_run_id"),
                        a.getAs("source_run_id"),
                        "sample " + s);
                assertEquals(
                        before.get(s).getList(before.get(s).fieldIndex("adversarial_votes")),
                        a.getList(a.fieldIndex("adversarial_votes")),
                        "sample " + s);
            }
        }
        assertEquals(majority(before) - 3.0 / N, majority(after), 1e-12);
        // The view shows the newest pass only.
        diffpure.jobs.cli.SqlCommand.registerViews(spark, output);
        Row view = spark.sql("SELECT count(*), sum(robust_majority) FROM strongest").first();
        assertEquals(N, view.getLong(0));
        assertEquals(majority(after) * N, view.getDouble(1), 1e-9);
        reportSection(majority(after));
    }

    /**
     * The report's section of the newest pass: the fresh figure, the minimum over the recorded
     * verdicts of every run (the planted one included), one attack that alone broke every broken
     * sample, and no published figure (not a paper preset).
     */
    private static void reportSection(double figure) throws IOException {
        diffpure.jobs.report.ReportData d =
                diffpure.jobs.report.ReportJob.build(
                        spark, output, new diffpure.config.ReportSettings("", 0.05, "majority"));
        assertEquals(1, d.strongest().size());
        diffpure.jobs.report.StrongestFigures f = d.strongest().get(0);
        assertEquals(figure, f.fresh().get("majority").estimate(), 1e-12);
        assertEquals(N, f.samples());
        assertEquals(List.of(), f.excludedRuns());
        assertEquals(1, f.attacks().size());
        diffpure.jobs.report.StrongestFigures.AttackLine a = f.attacks().get(0);
        assertEquals("pgd-eot", a.attack());
        assertEquals(RUNS + 1, a.runs());
        assertEquals("planted", a.newestRunId());
        assertEquals(N, a.chosen());
        long unbroken = Math.round(f.recordedMinimum().estimate() * N);
        assertEquals(N - unbroken, a.aloneBroke());
        assertTrue(f.recordedMinimum().estimate() < figure);
        assertEquals(List.of(), f.published());
        diffpure.jobs.report.ReportWriter.Written w =
                diffpure.jobs.report.ReportWriter.write(
                        d,
                        tmp.resolve("report").toString(),
                        spark.sparkContext().hadoopConfiguration());
        String html = Files.readString(Path.of(w.html()));
        assertTrue(html.contains("<h2 id=\"strongest\">Strongest evidence per sample</h2>"));
        assertTrue(html.contains(f.passId()), html);
        String md = Files.readString(Path.of(w.markdown()));
        assertTrue(md.contains("- strongest evidence `" + f.passId() + "`"), md);
        assertTrue(
                Files.readString(Path.of(w.json())).contains("\"alone_broke\": " + a.aloneBroke()));
    }

    @Test
    void onlyRuntimeSettingsMayChange() {
        ConfigError e =
                assertThrows(
                        ConfigError.class,
                        () ->
                                StrongestJob.run(
                                        spark,
                                        new StrongestJob.Request(
                                                output,
                                                List.of(),
                                                0,
                                                List.of("purify.t-star=0.02"),
                                                "test",
                                                -1),
                                        System.out));
        assertTrue(e.getMessage().contains("'purify.t-star=0.02'"), e.getMessage());
    }
}
