package diffpure.jobs.report;

import diffpure.config.ReportSettings;
import diffpure.eval.Interval;
import diffpure.eval.McNemar;
import diffpure.eval.Metric;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Computes a report from the tables of one run output with Spark SQL: per (run, setting) the
 * protocol's accuracies from the metric views ({@link MetricViews}, the one definition of the
 * metrics) with Wilson intervals, the run's counts and cost in one aggregation ({@link
 * RunAggregates}), and per setting the paired comparison of its newest run with the previous one.
 * Schema-1 tables (no averaged-logit, error_kind or adjoint columns), schema-2 tables (no budget
 * checkpoints) and schema-3 tables are all read, mixed too. Strings from the tables reach SQL only
 * as Column literals (parameters), never as text.
 */
public final class ReportJob {
    private ReportJob() {}

    /**
     * Reads the tables under a run output and computes the report.
     *
     * @throws ReportInputException when the samples or runs table is missing, unreadable, or lacks
     *     a column the report needs
     */
    public static ReportData build(SparkSession spark, String output, ReportSettings settings) {
        ReportTables tables = ReportTables.open(spark, output);
        return ReportTables.reading(output, () -> compute(spark, output, settings, tables));
    }

    private static ReportData compute(
            SparkSession spark, String output, ReportSettings settings, ReportTables tables) {
        Map<String, Row> runRows = new TreeMap<>();
        for (Row r : spark.table(ReportTables.RUNS).collectAsList()) {
            runRows.put(r.getAs("run_id"), r);
        }
        Map<String, Map<MetricViews.Side, Map<String, Interval>>> accuracy = accuracies(spark);
        Map<String, Map<String, Long>> warnings = RunAggregates.warnings(spark);
        Map<Setting, List<RunFigures>> bySetting = new LinkedHashMap<>();
        for (Row r : RunAggregates.rows(spark, tables.samplesColumns())) {
            String key = key(r.getAs("run_id"), Setting.of(r));
            RunFigures f =
                    RunAggregates.figures(
                            r,
                            runRows.get(r.<String>getAs("run_id")),
                            tables.runsColumns(),
                            accuracy.get(key),
                            warnings.getOrDefault(key, Map.of()));
            bySetting.computeIfAbsent(f.setting(), k -> new ArrayList<>()).add(f);
        }
        return new ReportData(
                output,
                Instant.now().toString(),
                samplesSchemaVersions(spark),
                runsSchemaVersions(runRows.values()),
                settingReports(spark, bySetting, settings),
                Rescores.figures(spark, output),
                BudgetCurves.of(spark, tables.samplesColumns()),
                Gallery.of(spark, tables.samplesColumns()),
                StrongestSection.of(spark, output));
    }

    /**
     * Per (run, setting) key, per side, the accuracies by protocol in report order; averaged logits
     * only where the rows have them.
     */
    private static Map<String, Map<MetricViews.Side, Map<String, Interval>>> accuracies(
            SparkSession spark) {
        Map<String, Map<MetricViews.Side, Map<Metric, Interval>>> byMetric = new TreeMap<>();
        for (Row r : spark.table(ReportTables.VIEWS.accuracy()).collectAsList()) {
            MetricViews.Side side = MetricViews.Side.of(r.getAs("side"));
            Metric p = Metric.of(r.getAs("metric"));
            long n = r.<Long>getAs("samples");
            // Fractional sums (mean of K) can exceed n by rounding; keep them in range.
            Interval i = Interval.wilson(Math.min(r.<Double>getAs("successes"), n), n);
            byMetric.computeIfAbsent(key(r.getAs("run_id"), Setting.of(r)), k -> new TreeMap<>())
                    .computeIfAbsent(side, k -> new TreeMap<>())
                    .put(p, i);
        }
        Map<String, Map<MetricViews.Side, Map<String, Interval>>> out = new TreeMap<>();
        byMetric.forEach(
                (key, sides) -> {
                    boolean logits =
                            sides.get(MetricViews.Side.ROBUST).get(Metric.AVERAGED_LOGIT).trials()
                                    > 0;
                    Map<MetricViews.Side, Map<String, Interval>> m = new TreeMap<>();
                    for (MetricViews.Side side : MetricViews.Side.values()) {
                        Map<String, Interval> ordered = new LinkedHashMap<>();
                        for (Metric p : side.metrics()) {
                            if (p != Metric.AVERAGED_LOGIT || logits) {
                                ordered.put(p.key(), sides.get(side).get(p));
                            }
                        }
                        m.put(side, ordered);
                    }
                    out.put(key, m);
                });
        return out;
    }

    private static List<ReportData.SettingReport> settingReports(
            SparkSession spark, Map<Setting, List<RunFigures>> bySetting, ReportSettings settings) {
        List<ReportData.SettingReport> reports = new ArrayList<>();
        List<Setting> order = new ArrayList<>(bySetting.keySet());
        order.sort(Comparator.comparing(Setting::slug));
        for (Setting s : order) {
            List<RunFigures> rs = bySetting.get(s);
            rs.sort(
                    Comparator.comparing(
                                    (RunFigures f) ->
                                            f.started() == null
                                                    ? Long.MAX_VALUE
                                                    : f.started().getTime())
                            .thenComparing(RunFigures::runId));
            RunFigures newest = rs.get(rs.size() - 1);
            Comparison cmp =
                    rs.size() < 2
                            ? null
                            : compare(
                                    spark,
                                    s,
                                    rs.get(rs.size() - 2).runId(),
                                    newest.runId(),
                                    settings);
            reports.add(
                    new ReportData.SettingReport(
                            s, List.copyOf(rs), cmp, secondsOf(spark, s, newest.runId())));
        }
        return reports;
    }

    /** The paired comparison of two runs of a setting on the samples both have without error. */
    static Comparison compare(
            SparkSession spark, Setting s, String older, String newer, ReportSettings settings) {
        String metric = settings.regressionMetric();
        Metric p = comparable(metric);
        Dataset<Row> all = spark.table(ReportTables.VIEWS.outcomes()).where(s.filter()).where("ok");
        Dataset<Row> a = pairSide(all, older, p, "a");
        Dataset<Row> b = pairSide(all, newer, p, "b");
        List<Row> pairs = a.join(b, "sample_id").orderBy("sample_id").collectAsList();
        boolean[] ac = new boolean[pairs.size()];
        boolean[] bc = new boolean[pairs.size()];
        boolean[] ar = new boolean[pairs.size()];
        boolean[] br = new boolean[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            Row row = pairs.get(i);
            ac[i] = row.<Double>getAs("a_clean") == 1;
            bc[i] = row.<Double>getAs("b_clean") == 1;
            ar[i] = row.<Double>getAs("a_robust") == 1;
            br[i] = row.<Double>getAs("b_robust") == 1;
        }
        return new Comparison(
                s,
                older,
                newer,
                pairs.size(),
                metric,
                settings.regressionAlpha(),
                McNemar.test(ac, bc),
                McNemar.test(ar, br));
    }

    private static Dataset<Row> pairSide(Dataset<Row> all, String runId, Metric p, String as) {
        // The run id is a literal (a parameter), whatever characters it holds.
        return all.where(functions.col("run_id").equalTo(functions.lit(runId)))
                .select(
                        functions.col("sample_id"),
                        functions.col(MetricViews.Side.CLEAN.column(p)).as(as + "_clean"),
                        functions.col(MetricViews.Side.ROBUST.column(p)).as(as + "_robust"));
    }

    /** The per-sample outcomes a regression test may compare (right or wrong per sample). */
    static Metric comparable(String metric) {
        for (Metric p :
                List.of(Metric.SINGLE, Metric.MAJORITY, Metric.WORST, Metric.DURING_ATTACK)) {
            if (p.key().equals(metric)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "report.regression-metric must be one of single, majority, worst,"
                        + " during-attack, found '"
                        + metric
                        + "'");
    }

    private static double[] secondsOf(SparkSession spark, Setting s, String runId) {
        return spark
                .table(ReportTables.VIEWS.samples())
                .where(s.filter())
                .where(functions.col("run_id").equalTo(functions.lit(runId)))
                .where("error IS NULL AND seconds IS NOT NULL")
                .select("seconds")
                .collectAsList()
                .stream()
                .mapToDouble(r -> r.getDouble(0))
                .toArray();
    }

    private static Set<Integer> samplesSchemaVersions(SparkSession spark) {
        Set<Integer> sv = new TreeSet<>();
        for (Row r :
                spark.table(ReportTables.VIEWS.samples())
                        .select("schema_version")
                        .distinct()
                        .collectAsList()) {
            if (!r.isNullAt(0)) {
                sv.add(r.getInt(0));
            }
        }
        return sv;
    }

    private static Set<Integer> runsSchemaVersions(Iterable<Row> runs) {
        Set<Integer> rv = new TreeSet<>();
        for (Row r : runs) {
            Object v = r.getAs("schema_version");
            if (v != null) {
                rv.add((Integer) v);
            }
        }
        return rv;
    }

    /** The key of a (run, setting). */
    static String key(String runId, Setting s) {
        return runId + "\u0000" + s.slug();
    }
}
