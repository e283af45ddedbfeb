package diffpure.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import diffpure.config.ReportSettings;
import diffpure.eval.Interval;
import diffpure.eval.Metric;
import diffpure.eval.ProtocolSummary;
import diffpure.jobs.cli.SqlCommand;
import diffpure.jobs.store.ResultTables;
import diffpure.jobs.store.TablePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The accuracy metrics have one definition ({@link Metric}): the Java summary, the report, the
 * views of {@code diffpure sql} and the views the notebooks register give the same numbers, on
 * schema-2 tables (averaged logits) and schema-1 tables (none).
 */
class MetricViewsTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static final Path ROOT = Path.of(System.getProperty("diffpure.repo.root", ".."));

    @BeforeAll
    static void start() {
        spark = SyntheticTables.session("MetricViewsTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void theNotebooksFileIsTheGeneratedText() throws IOException {
        Path generated = Path.of("target", "metric_views.sql");
        Files.createDirectories(generated.getParent());
        Files.writeString(generated, MetricViews.file());
        assertEquals(
                MetricViews.file(),
                Files.readString(ROOT.resolve("notebooks/metric_views.sql")),
                "notebooks/metric_views.sql is out of date: copy jobs/" + generated + " there");
    }

    @Test
    void summaryReportSqlAndNotebookViewsAgreeOnSchemaTwo() throws Exception {
        String out = tmp.resolve("v2").toUri().toString();
        String staging = tmp.resolve("v2-staging").toUri().toString();
        List<Map<String, Object>> rows =
                new ArrayList<>(SyntheticTables.run("a", 70, 5, 1, m -> {}));
        rows.addAll(SyntheticTables.run("b", 50, 4, 2, m -> m.put("eps", 4 / 255.0)));
        for (int i = 0; i < 4; i++) {
            rows.get(17 * i).put("error", "compute failed");
        }
        SyntheticTables.writeSamples(spark, staging, rows);
        spark.read()
                .parquet(TablePaths.samples(staging))
                .selectExpr(
                        "*",
                        "IF(error IS NULL, IF(sample_id % 3 = 0, (label + 1) % 10, label), NULL)"
                                + " AS clean_logit_prediction",
                        "IF(error IS NULL, adversarial_prediction, NULL) AS adversarial_logit_prediction")
                .selectExpr(
                        "*",
                        "clean_logit_prediction = label AS clean_logit_correct",
                        "adversarial_logit_prediction = label AS adversarial_logit_correct")
                .write()
                .mode(SaveMode.Overwrite)
                .partitionBy("run_id", "chunk")
                .parquet(TablePaths.samples(out));
        SyntheticTables.writeRun(spark, out, "a", 1000);
        SyntheticTables.writeRun(spark, out, "b", 2000);
        agree(out, true);
    }

    @Test
    void summaryReportSqlAndNotebookViewsAgreeOnSchemaOne() throws Exception {
        String out = tmp.resolve("v1").toUri().toString();
        List<Map<String, Object>> rows =
                new ArrayList<>(SyntheticTables.run("a", 60, 5, 3, m -> {}));
        rows.get(5).put("error", "unreadable");
        SyntheticTables.writeSamples(spark, out, rows);
        SyntheticTables.writeRun(spark, out, "a", 1000);
        agree(out, false);
    }

    private static void agree(String out, boolean logits) throws Exception {
        ReportData report = ReportJob.build(spark, out, new ReportSettings("", 0.05, "majority"));
        Map<String, Map<String, Interval>> sql = accuracyView(out, false);
        Map<String, Map<String, Interval>> notebooks = accuracyView(out, true);
        for (ReportData.SettingReport s : report.settings()) {
            RunFigures f = s.newest();
            ProtocolSummary java =
                    ResultTables.summarize(spark, TablePaths.samples(out), f.runId()).summary();
            Map<String, Interval> javaBy = byColumn(java);
            for (MetricViews.Side side : MetricViews.Side.values()) {
                for (Metric p : side.metrics()) {
                    String col = side.column(p);
                    Interval fromJava = javaBy.get(col);
                    Interval fromReport =
                            (side == MetricViews.Side.CLEAN ? f.clean() : f.robust()).get(p.key());
                    if (p == Metric.AVERAGED_LOGIT && !logits) {
                        assertNull(fromJava, col);
                        assertNull(fromReport, col);
                        assertEquals(0, sql.get(f.runId()).get(col).trials(), col);
                        continue;
                    }
                    assertNotNull(fromJava, col);
                    assertEquals(f.samples(), fromJava.trials(), col);
                    same(col + " report", fromJava, fromReport);
                    same(col + " diffpure sql", fromJava, sql.get(f.runId()).get(col));
                    same(col + " notebooks", fromJava, notebooks.get(f.runId()).get(col));
                }
            }
        }
    }

    /** Per run, per column name, the accuracy view's interval. */
    private static Map<String, Map<String, Interval>> accuracyView(String out, boolean notebooks)
            throws IOException, InterruptedException {
        if (notebooks) {
            ResultTables.registerViews(spark, out);
            List<String> cols = Arrays.asList(spark.table("samples").columns());
            for (String s : notebookStatements(cols)) {
                spark.sql(s);
            }
        } else {
            spark.catalog().dropTempView("accuracy");
            SqlCommand.registerViews(spark, out);
        }
        Map<String, Map<String, Interval>> m = new HashMap<>();
        for (Row r : spark.sql("SELECT * FROM accuracy").collectAsList()) {
            long n = r.<Long>getAs("samples");
            m.computeIfAbsent(r.getAs("run_id"), k -> new HashMap<>())
                    .put(
                            r.getAs("side") + "_" + r.<String>getAs("metric").replace('-', '_'),
                            Interval.wilson(Math.min(r.<Double>getAs("successes"), n), n));
        }
        return m;
    }

    /** The statements notebooks/diffpure_session.py registers for a samples table's columns. */
    private static List<String> notebookStatements(List<String> columns)
            throws IOException, InterruptedException {
        String script =
                "import json, sys; sys.path.insert(0, 'notebooks'); import diffpure_session as d;"
                        + " print(json.dumps(d.metric_view_statements(json.loads(sys.argv[1]))))";
        Process p =
                new ProcessBuilder(
                                "python3", "-c", script, new com.google.gson.Gson().toJson(columns))
                        .directory(ROOT.toFile())
                        .redirectErrorStream(true)
                        .start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), printed);
        assertEquals(0, p.exitValue(), printed);
        List<String> out = new ArrayList<>();
        JsonParser.parseString(printed).getAsJsonArray().forEach(e -> out.add(e.getAsString()));
        assertEquals(2, out.size(), printed);
        return out;
    }

    private static Map<String, Interval> byColumn(ProtocolSummary s) {
        Map<String, Interval> m = new HashMap<>();
        m.put("clean_single", s.cleanSingle());
        m.put("clean_majority", s.cleanMajority());
        m.put("clean_mean", s.cleanMean());
        m.put("clean_worst", s.cleanWorst());
        m.put("clean_during_attack", s.cleanDuring());
        m.put("clean_averaged_logit", s.cleanLogit());
        m.put("robust_single", s.single());
        m.put("robust_majority", s.majority());
        m.put("robust_mean", s.mean());
        m.put("robust_worst", s.worst());
        m.put("robust_any", s.any());
        m.put("robust_during_attack", s.duringAttack());
        m.put("robust_averaged_logit", s.logit());
        return m;
    }

    private static void same(String what, Interval want, Interval got) {
        assertNotNull(got, what);
        assertEquals(want.trials(), got.trials(), what);
        assertEquals(want.estimate(), got.estimate(), 1e-12, what);
        assertEquals(want.lower(), got.lower(), 1e-12, what);
        assertEquals(want.upper(), got.upper(), 1e-12, what);
    }
}
