package diffpure.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ReportSettings;
import diffpure.eval.Interval;
import diffpure.eval.IntervalKind;
import diffpure.jobs.store.TablePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run that stopped on its rule is reported with the confidence sequences its runs row recorded at
 * the stop, marked as such; a run without one (an older runs row, without the stop columns, in the
 * same table) keeps Wilson intervals over its rows.
 */
class StoppedRunReportTest {
    private static final long DAY = 86_400_000L;
    private static final String SEQUENCES =
            "{\"population\": 10000, \"clean\": {\"single\": [0.6, 0.41, 0.77, 40], \"majority\":"
                    + " [0.65, 0.45, 0.81, 40]}, \"robust\": {\"majority\": [0.3, 0.14, 0.5, 40],"
                    + " \"worst\": [0.2, 0.08, 0.39, 40]}}";

    @TempDir static Path tmp;
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SyntheticTables.session("StoppedRunReportTest");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void aStoppedRunShowsItsConfidenceSequencesAndAnOlderRunWilson() throws IOException {
        String out = tmp.resolve("tables").toUri().toString();
        SyntheticTables.writeSamples(spark, out, SyntheticTables.run("old", 60, 5, 1, m -> {}));
        SyntheticTables.writeRun(spark, out, "old", DAY);
        // The stopped run: 44 rows (a chunk was running at the stop), 40 in its sequences.
        SyntheticTables.writeSamples(spark, out, SyntheticTables.run("stopped", 44, 5, 2, m -> {}));
        String staging = tmp.resolve("staging").toUri().toString();
        SyntheticTables.writeRun(spark, staging, "stopped", 2 * DAY);
        spark.read()
                .parquet(TablePaths.runs(staging))
                .selectExpr(
                        "*",
                        "40 AS stop_samples",
                        "'budget' AS stop_reason",
                        "CAST(123456 AS BIGINT) AS stop_step_rows",
                        "'majority' AS stop_metric",
                        "'" + SEQUENCES.replace("'", "\\'") + "' AS stop_sequences")
                .write()
                .mode(SaveMode.Append)
                .partitionBy("run_id")
                .parquet(TablePaths.runs(out));
        ReportData d = ReportJob.build(spark, out, new ReportSettings("", 0.05, "majority"));
        List<RunFigures> runs = d.settings().get(0).runs();
        RunFigures old = runs.get(0);
        RunFigures stopped = runs.get(1);
        assertEquals("old", old.runId());
        assertEquals(IntervalKind.WILSON, old.intervals());
        assertEquals(60, old.robustMajority().trials());
        assertEquals(IntervalKind.CONFIDENCE_SEQUENCE, stopped.intervals());
        assertEquals(new Interval(0.3, 0.14, 0.5, 40), stopped.robustMajority());
        assertEquals(new Interval(0.65, 0.45, 0.81, 40), stopped.clean().get("majority"));
        assertEquals(40, stopped.stop().samples());
        ReportWriter.Written w =
                ReportWriter.write(
                        d,
                        tmp.resolve("report").toString(),
                        spark.sparkContext().hadoopConfiguration());
        String md = Files.readString(Path.of(w.markdown()), StandardCharsets.UTF_8);
        assertTrue(
                md.contains(
                        "0.300 [0.140, 0.500] (confidence sequence: stopped by budget after 40"
                                + " samples of the plan order)"),
                md);
        assertTrue(md.contains("95% Wilson intervals; a run that stopped on its stopping"), md);
        String html = Files.readString(Path.of(w.html()), StandardCharsets.UTF_8);
        assertTrue(html.contains("95% confidence sequence at the stop: stopped by budget"), html);
        assertTrue(html.contains("<td>95% Wilson</td>"), html);
        String json = Files.readString(Path.of(w.json()), StandardCharsets.UTF_8);
        assertTrue(json.contains("confidence-sequence"), json);
    }
}
