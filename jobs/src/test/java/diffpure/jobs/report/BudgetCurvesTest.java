package diffpure.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import diffpure.config.ReportSettings;
import diffpure.eval.BudgetCurve;
import diffpure.eval.CheckpointOutcome;
import diffpure.eval.Interval;
import diffpure.eval.Metric;
import diffpure.eval.StepRowCost;
import diffpure.jobs.cli.SqlCommand;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TablePaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's budget curves over a samples table that mixes schema versions: a schema-1 run and a
 * schema-3 run with checkpoints in one table. The report reads both; the curve equals {@link
 * BudgetCurve} of the stored checkpoints and ends at the run's own accuracies; {@code diffpure sql}
 * with {@code notebooks/budget_curve.sql} gives the same numbers; HTML, Markdown and JSON carry it.
 */
class BudgetCurvesTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static String out;
    private static List<Map<String, Object>> newRows;
    private static final int[] AT = {0, 5, 10};
    private static final long DAY = 86_400_000L;

    @BeforeAll
    static void write() {
        spark = SyntheticTables.session("BudgetCurvesTest");
        out = tmp.resolve("mixed").toUri().toString();
        // Schema 1 first, then schema 3 appended: two kinds of Parquet files in one table.
        SyntheticTables.writeSamples(spark, out, SyntheticTables.run("old", 40, 5, 1, m -> {}));
        Random rnd = new Random(3);
        newRows =
                SyntheticTables.run(
                        "new",
                        60,
                        5,
                        2,
                        m ->
                                SyntheticTables.setCheckpoints(
                                        m,
                                        AT,
                                        new int[] {5, rnd.nextInt(6), 0},
                                        rnd.nextInt(4),
                                        rnd));
        SyntheticTables.writeSamples(spark, out, newRows, SamplesTable.SCHEMA_VERSION);
        String staging = tmp.resolve("staging").toUri().toString();
        SyntheticTables.writeRun(spark, staging, "old", DAY);
        SyntheticTables.writeRun(spark, staging, "new", 2 * DAY);
        spark.read()
                .parquet(TablePaths.runs(staging))
                .write()
                .partitionBy("run_id")
                .parquet(TablePaths.runs(out));
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** The curve straight from the rows written, without Spark or the table's reader. */
    private static BudgetCurve expected() {
        List<BudgetCurve.Sample> s = new ArrayList<>();
        for (Map<String, Object> m : newRows) {
            List<CheckpointOutcome> cps = new ArrayList<>();
            for (Row c : (Row[]) m.get("budget_checkpoints")) {
                cps.add(
                        new CheckpointOutcome(
                                c.getInt(0),
                                c.getLong(1),
                                Arrays.stream((Integer[]) c.get(2))
                                        .mapToInt(Integer::intValue)
                                        .toArray(),
                                c.getLong(4),
                                c.getLong(5),
                                c.getLong(6),
                                c.getLong(7),
                                c.getDouble(8)));
            }
            s.add(new BudgetCurve.Sample((Long) m.get("sample_id"), (Integer) m.get("label"), cps));
        }
        return BudgetCurve.ofSamples(s, StepRowCost.ofDefence(20));
    }

    @Test
    void theReportReadsBothSchemasAndDrawsTheCheckpointedRunsCurve() throws IOException {
        ReportData d = ReportJob.build(spark, out, new ReportSettings("", 0.05, "majority"));
        assertEquals(java.util.Set.of(1, 3), d.samplesSchemaVersions());
        assertEquals(1, d.settings().size());
        ReportData.SettingReport s = d.settings().get(0);
        assertEquals(2, s.runs().size());
        RunFigures old = s.runs().get(0);
        RunFigures newer = s.newest();
        assertEquals(40, old.samples());
        assertEquals(60, newer.samples());
        assertNull(d.budgetCurveOf(old));
        BudgetCurves.RunCurve c = d.budgetCurveOf(newer);
        assertNotNull(c);
        assertEquals(expected(), c.curve());
        List<BudgetCurve.Point> p = c.curve().points();
        assertEquals(List.of(0, 5, 10), p.stream().map(BudgetCurve.Point::iteration).toList());
        assertEquals("iteration 5 of a run of 10", p.get(1).label());
        // Every sample starts with all votes right; the last checkpoint is the final verdict.
        assertEquals(1.0, p.get(0).majority().estimate());
        assertEquals(newer.robust().get("majority"), p.get(2).majority());
        assertEquals(newer.robust().get("worst"), p.get(2).worst());
        assertEquals(newer.robust().get("single"), p.get(2).single());
        assertEquals(8.0 * 20, p.get(0).stepRows(), 1e-9);
        assertEquals((24.0 + 4) * 20, p.get(2).stepRows(), 1e-9);

        ReportWriter.Written w =
                ReportWriter.write(
                        d,
                        tmp.resolve("report").toString(),
                        spark.sparkContext().hadoopConfiguration());
        String html = Files.readString(Path.of(w.html()));
        assertTrue(html.contains("<h4>Budget curve (attack.budget-checkpoints)</h4>"), html);
        assertTrue(html.contains("<td>iteration 10 of a run of 10</td>"), html);
        assertTrue(html.contains("id=\"chart-budget-0-"), "the curve's chart");
        assertEquals(1, html.split("<h4>Budget curve").length - 1, "one curve, for run new");
        String md = Files.readString(Path.of(w.markdown()));
        assertTrue(md.contains("Budget curves (newest runs"), md);
        assertTrue(md.contains("| iteration 5 of a run of 10 | 320.0 |"), md);
        JsonObject json =
                JsonParser.parseString(Files.readString(Path.of(w.json()))).getAsJsonObject();
        JsonArray runs =
                json.getAsJsonArray("settings").get(0).getAsJsonObject().getAsJsonArray("runs");
        assertFalse(runs.get(0).getAsJsonObject().has("budget_curve"));
        JsonArray curve = runs.get(1).getAsJsonObject().getAsJsonArray("budget_curve");
        assertEquals(3, curve.size());
        JsonObject last = curve.get(2).getAsJsonObject();
        assertEquals(10, last.get("iteration").getAsInt());
        assertEquals(
                p.get(2).majority().estimate(),
                last.getAsJsonObject("robust")
                        .getAsJsonObject("majority")
                        .get("estimate")
                        .getAsDouble());
    }

    @Test
    void sqlGivesTheReportsNumbers() throws IOException {
        assertEquals(
                BudgetCurves.file(),
                Files.readString(
                        Path.of(System.getProperty("diffpure.repo.root", ".."))
                                .resolve("notebooks/budget_curve.sql")),
                "notebooks/budget_curve.sql is BudgetCurves.file(); regenerate it");
        SqlCommand.registerViews(spark, out);
        // The views see both schemas: the old run's rows and the new column.
        assertEquals(100, spark.sql("SELECT * FROM samples").count());
        assertEquals(
                40, spark.sql("SELECT * FROM samples WHERE budget_checkpoints IS NULL").count());
        List<Row> rows = spark.sql(BudgetCurves.file()).collectAsList();
        List<BudgetCurve.Point> p = expected().points();
        assertEquals(p.size(), rows.size());
        for (int i = 0; i < p.size(); i++) {
            Row r = rows.get(i);
            assertEquals("new", r.getAs("run_id"));
            assertEquals(p.get(i).iteration(), r.<Integer>getAs("iteration"));
            assertEquals(p.get(i).ofIterations(), r.<Long>getAs("of_iterations"));
            long n = r.getAs("samples");
            assertEquals(p.get(i).stepRows(), r.<Double>getAs("step_rows"), 1e-9);
            for (Metric m : BudgetCurves.METRICS) {
                double successes = r.getAs(MetricViews.Side.ROBUST.column(m));
                Interval sql = Interval.wilson(Math.min(successes, n), n);
                Interval java = p.get(i).of(m);
                // Mean of K sums fractions, in another order in SQL.
                String what = m + " at " + p.get(i).label();
                assertEquals(java.trials(), sql.trials(), what);
                assertEquals(java.estimate(), sql.estimate(), 1e-12, what);
                assertEquals(java.lower(), sql.lower(), 1e-12, what);
                assertEquals(java.upper(), sql.upper(), 1e-12, what);
            }
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> Metric.AVERAGED_LOGIT.checkpointSql("c", "votes"));
    }
}
