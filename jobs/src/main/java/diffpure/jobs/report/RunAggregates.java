package diffpure.jobs.report;

import diffpure.eval.Interval;
import diffpure.jobs.store.RunsTable;
import diffpure.jobs.store.StopSequences;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What a report says of each (run, setting) besides its accuracies: row and error counts, cost,
 * perturbation sizes, gradient modes, warnings and adjoint figures, in one aggregation over the
 * report's samples view; and the {@link RunFigures} they make with the accuracies and the runs row.
 */
final class RunAggregates {
    private static final String GROUP = "run_id, " + String.join(", ", Setting.COLUMNS);

    private RunAggregates() {}

    /** One row per (run, setting). */
    static List<Row> rows(SparkSession spark, Set<String> cols) {
        StringBuilder q = new StringBuilder("SELECT ").append(GROUP);
        q.append(", first(experiment, true) AS experiment")
                .append(", max(schema_version) AS schema_version")
                .append(", first(config_hash, true) AS config_hash")
                .append(", first(git_sha, true) AS git_sha")
                .append(", count(*) AS rows")
                .append(", sum(IF(ok, 1, 0)) AS n")
                .append(", sum(IF(ok, 0, 1)) AS errors");
        if (cols.contains("error_kind")) {
            q.append(", sum(IF(error_kind = 'data', 1, 0)) AS errors_data")
                    .append(", sum(IF(error_kind = 'compute', 1, 0)) AS errors_compute");
        }
        if (cols.contains("adjoint_reconstruction_error")) {
            q.append(", max(adjoint_reconstruction_error) AS adjoint_rec_max");
            if (cols.contains("adjoint_cosine")) {
                q.append(", min(adjoint_cosine) AS adjoint_cos_min");
            }
        }
        q.append(", coalesce(sum(seconds), 0D) AS seconds")
                .append(", coalesce(sum(IF(gpu, 0D, seconds * coalesce(torch_threads, 1))), 0D)")
                .append(" AS core_seconds")
                .append(", coalesce(sum(IF(gpu, seconds, 0D)), 0D) AS gpu_seconds")
                .append(", avg(IF(ok, seconds, NULL)) AS seconds_per_sample")
                .append(", avg(IF(ok, gradient_evaluations, NULL)) AS gradients_per_sample")
                .append(
                        ", avg(IF(ok, gradient_evaluations + forward_evaluations"
                                + " + vote_evaluations, NULL)) AS purifications_per_sample")
                .append(", max(IF(ok, linf, NULL)) AS max_linf")
                .append(", max(IF(ok, l2, NULL)) AS max_l2")
                .append(", concat_ws(',', sort_array(collect_set(gradient_mode))) AS modes")
                .append(", sum(IF(size(warnings) > 0, 1, 0)) AS with_warnings");
        q.append(" FROM (SELECT *, error IS NULL AS ok,")
                .append(" (lower(device) LIKE '%gpu%' OR lower(device) LIKE '%cuda%') AS gpu")
                .append(" FROM ")
                .append(ReportTables.VIEWS.samples())
                .append(") GROUP BY ")
                .append(GROUP);
        return spark.sql(q.toString()).collectAsList();
    }

    /**
     * Per (run, setting) key, warning kinds (numbers replaced by N) and how many rows carry each.
     */
    static Map<String, Map<String, Long>> warnings(SparkSession spark) {
        String q =
                "SELECT "
                        + GROUP
                        + ", regexp_replace(w, '[0-9]+([.][0-9]+)?', 'N') AS kind, count(*) AS c"
                        + " FROM "
                        + ReportTables.VIEWS.samples()
                        + " LATERAL VIEW explode(warnings) t AS w GROUP BY "
                        + GROUP
                        + ", kind ORDER BY kind";
        Map<String, Map<String, Long>> out = new TreeMap<>();
        for (Row r : spark.sql(q).collectAsList()) {
            out.computeIfAbsent(
                            ReportJob.key(r.getAs("run_id"), Setting.of(r)),
                            k -> new LinkedHashMap<>())
                    .put(r.getAs("kind"), r.<Long>getAs("c"));
        }
        return out;
    }

    /**
     * The figures of one (run, setting).
     *
     * @param r its aggregate row ({@link #rows})
     * @param run its runs row, null when the run has none
     * @param runCols the runs table's columns
     * @param accuracy its accuracies per side, by protocol
     * @param warnings its warning kinds
     */
    static RunFigures figures(
            Row r,
            Row run,
            Set<String> runCols,
            Map<MetricViews.Side, Map<String, Interval>> accuracy,
            Map<String, Long> warnings) {
        Map<String, Long> kinds = new LinkedHashMap<>();
        if (has(r, "errors_data")) {
            kinds.put("data", r.<Long>getAs("errors_data"));
            kinds.put("compute", r.<Long>getAs("errors_compute"));
        }
        RunFigures.Provenance provenance =
                new RunFigures.Provenance(
                        r.getAs("config_hash"),
                        r.getAs("git_sha"),
                        r.<Integer>getAs("schema_version"));
        RunFigures.Run which =
                new RunFigures.Run(
                        r.getAs("run_id"),
                        r.getAs("experiment"),
                        run == null ? null : run.<Timestamp>getAs("started"),
                        run == null ? "no runs row" : run.<String>getAs("status"),
                        provenance);
        RunFigures.Checks checks =
                new RunFigures.Checks(
                        nan(r, "max_linf"),
                        nan(r, "max_l2"),
                        r.getAs("modes"),
                        new RunFigures.Warnings(r.<Long>getAs("with_warnings"), warnings),
                        adjoint(r, run, runCols),
                        run != null && runCols.contains("sanity")
                                ? run.<String>getAs("sanity")
                                : null);
        return new RunFigures(
                Setting.of(r),
                which,
                new RunFigures.Counts(
                        r.<Long>getAs("rows"), r.<Long>getAs("n"), r.<Long>getAs("errors"), kinds),
                accuracy(run, accuracy),
                cost(r),
                checks);
    }

    /**
     * A run's accuracies: Wilson over its rows, or for a run its stopping rule ended, the
     * confidence sequences the driver recorded at the stop (over the prefix it decided on).
     */
    private static RunFigures.Accuracy accuracy(
            Row run, Map<MetricViews.Side, Map<String, Interval>> wilson) {
        RunsTable.Stop stop = run == null ? null : RunsTable.Stop.of(run);
        if (stop == null) {
            return new RunFigures.Accuracy(
                    wilson.get(MetricViews.Side.CLEAN), wilson.get(MetricViews.Side.ROBUST));
        }
        return new RunFigures.Accuracy(
                ordered(
                        wilson.get(MetricViews.Side.CLEAN),
                        StopSequences.side(stop.sequences(), "clean")),
                ordered(
                        wilson.get(MetricViews.Side.ROBUST),
                        StopSequences.side(stop.sequences(), "robust")),
                stop);
    }

    /** The sequences in the report's metric order (the Wilson map's keys). */
    private static Map<String, Interval> ordered(
            Map<String, Interval> order, Map<String, Interval> sequences) {
        Map<String, Interval> out = new LinkedHashMap<>();
        for (String k : order.keySet()) {
            if (sequences.containsKey(k)) {
                out.put(k, sequences.get(k));
            }
        }
        return out;
    }

    private static RunFigures.Cost cost(Row r) {
        return new RunFigures.Cost(
                r.<Double>getAs("seconds"),
                r.<Double>getAs("core_seconds") / 3600,
                r.<Double>getAs("gpu_seconds") / 3600,
                nan(r, "seconds_per_sample"),
                nan(r, "gradients_per_sample"),
                nan(r, "purifications_per_sample"));
    }

    private static RunFigures.Adjoint adjoint(Row r, Row run, Set<String> runCols) {
        double rec = has(r, "adjoint_rec_max") ? nan(r, "adjoint_rec_max") : Double.NaN;
        double cos = has(r, "adjoint_cos_min") ? nan(r, "adjoint_cos_min") : Double.NaN;
        double runRec =
                run != null && runCols.contains("adjoint_reconstruction_error_max")
                        ? nan(run, "adjoint_reconstruction_error_max")
                        : Double.NaN;
        double runCos =
                run != null && runCols.contains("adjoint_cosine_min")
                        ? nan(run, "adjoint_cosine_min")
                        : Double.NaN;
        if (Double.isNaN(rec)
                && Double.isNaN(cos)
                && Double.isNaN(runRec)
                && Double.isNaN(runCos)) {
            return null;
        }
        return new RunFigures.Adjoint(rec, cos, runRec, runCos);
    }

    private static boolean has(Row r, String column) {
        return Arrays.asList(r.schema().fieldNames()).contains(column);
    }

    private static double nan(Row r, String column) {
        Object v = r.getAs(column);
        return v instanceof Number x ? x.doubleValue() : Double.NaN;
    }
}
