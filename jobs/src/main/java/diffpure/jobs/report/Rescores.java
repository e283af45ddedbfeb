package diffpure.jobs.report;

import diffpure.eval.Interval;
import diffpure.eval.Metric;
import diffpure.jobs.store.RescoresTable;
import diffpure.jobs.store.TablePaths;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The rescores table ({@link diffpure.jobs.store.RescoresTable}) as the report reads it. */
public final class Rescores {
    private Rescores() {}

    /** Accuracies per (rescore, source run, source setting); empty when there is no table. */
    public static List<RescoreFigures> figures(SparkSession spark, String output) {
        String p = TablePaths.rescores(output);
        try {
            Path hp = new Path(p);
            if (!hp.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(hp)) {
                return List.of();
            }
        } catch (IOException e) {
            throw new ReportInputException("cannot open the rescores table at " + p + ": " + e, e);
        }
        String rescoresOnly = register(spark, p);
        String group =
                "rescore_id, source_run_id, "
                        + String.join(", ", Setting.COLUMNS)
                        + ", rescore_purifier, rescore_t_star, rescore_steps, rescore_classifier,"
                        + " rescore_score_model, rescore_votes";
        StringBuilder q =
                new StringBuilder("SELECT ")
                        .append(group)
                        .append(", sum(IF(ok, 1, 0)) AS n, sum(IF(ok, 0, 1)) AS errors");
        // The metrics (diffpure.eval.Metric) with the rescore's K; the rescores table has no
        // during-attack counts.
        for (MetricViews.Side side : MetricViews.Side.values()) {
            for (Metric x : rescored(side)) {
                q.append(", coalesce(sum(IF(ok, ")
                        .append(side.sql(x, "rescore_votes"))
                        .append(", NULL)), 0D) AS ")
                        .append(side.column(x));
            }
        }
        q.append(" FROM (SELECT *, error IS NULL AS ok FROM diffpure_report_rescores")
                .append(rescoresOnly)
                .append(")")
                .append(" GROUP BY ")
                .append(group)
                .append(" ORDER BY rescore_id, source_run_id");
        List<RescoreFigures> out = new ArrayList<>();
        for (Row r : spark.sql(q.toString()).collectAsList()) {
            long n = r.<Long>getAs("n");
            Map<String, Interval> clean = new LinkedHashMap<>();
            Map<String, Interval> robust = new LinkedHashMap<>();
            for (Metric x : rescored(MetricViews.Side.CLEAN)) {
                clean.put(x.key(), w(r, MetricViews.Side.CLEAN.column(x), n));
            }
            for (Metric x : rescored(MetricViews.Side.ROBUST)) {
                robust.put(x.key(), w(r, MetricViews.Side.ROBUST.column(x), n));
            }
            String as =
                    String.format(
                            Locale.ROOT,
                            "%s t*=%s (%d steps), %s, K=%d",
                            r.<String>getAs("rescore_purifier"),
                            Setting.trim(r.<Double>getAs("rescore_t_star")),
                            r.<Integer>getAs("rescore_steps"),
                            r.<String>getAs("rescore_classifier"),
                            r.<Integer>getAs("rescore_votes"));
            out.add(
                    new RescoreFigures(
                            r.getAs("rescore_id"),
                            r.getAs("source_run_id"),
                            Setting.of(r),
                            as,
                            new RunFigures.Counts(
                                    n + r.<Long>getAs("errors"),
                                    n,
                                    r.<Long>getAs("errors"),
                                    Map.of()),
                            new RunFigures.Accuracy(clean, robust)));
        }
        return out;
    }

    /**
     * Registers the rescores view over both schema versions (the union of their columns, version 1
     * rows NULL in the strongest-evidence columns: they are rescores) and returns the WHERE clause
     * that keeps rescores only (strongest-evidence passes have their own section).
     */
    private static String register(SparkSession spark, String p) {
        spark.read()
                .option("mergeSchema", "true")
                .parquet(p)
                .createOrReplaceTempView("diffpure_report_rescores");
        return java.util.Arrays.asList(spark.table("diffpure_report_rescores").columns())
                        .contains("rescore_kind")
                ? " WHERE coalesce(rescore_kind, '"
                        + RescoresTable.RESCORE
                        + "') = '"
                        + RescoresTable.RESCORE
                        + "'"
                : "";
    }

    private static List<Metric> rescored(MetricViews.Side side) {
        return side.metrics().stream().filter(p -> p != Metric.DURING_ATTACK).toList();
    }

    private static Interval w(Row r, String column, long n) {
        Object v = r.getAs(column);
        double s = v instanceof Number x ? x.doubleValue() : 0;
        return Interval.wilson(Math.min(s, n), n);
    }
}
