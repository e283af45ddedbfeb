package diffpure.jobs.report;

import diffpure.config.ReportSettings;
import diffpure.eval.Interval;
import diffpure.eval.McNemar;
import diffpure.jobs.eval.EvaluationJob;
import java.io.IOException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Computes a report from the tables of one run output with Spark SQL: per (run, setting) the
 * protocol's counts in one aggregation, Wilson intervals from those counts, and per setting the
 * paired comparison of its newest run with the previous one. Schema-1 tables (no averaged-logit,
 * error_kind or adjoint columns) and schema-2 tables are both read.
 */
public final class ReportJob {
    /** Samples columns a report cannot do without. */
    static final List<String> REQUIRED =
            List.of(
                    "run_id",
                    "sample_id",
                    "label",
                    "experiment",
                    "schema_version",
                    "clean_votes",
                    "adversarial_votes",
                    "clean_correct",
                    "adversarial_correct",
                    "during_attack_fooled",
                    "clean_during_fooled",
                    "gradient_evaluations",
                    "forward_evaluations",
                    "vote_evaluations",
                    "seconds",
                    "device",
                    "torch_threads",
                    "linf",
                    "l2",
                    "gradient_mode",
                    "warnings",
                    "error",
                    "config_hash",
                    "git_sha");

    private ReportJob() {}

    /** The samples view name used inside the report's queries. */
    static final String SAMPLES = "diffpure_report_samples";

    private static final String RUNS = "diffpure_report_runs";

    /**
     * Reads the tables under a run output and computes the report.
     *
     * @throws ReportInputException when the samples or runs table is missing, unreadable, or lacks
     *     a column the report needs
     */
    public static ReportData build(SparkSession spark, String output, ReportSettings settings) {
        String samplesPath = EvaluationJob.samplesPath(output);
        String runsPath = EvaluationJob.runsPath(output);
        requireTable(spark, samplesPath, "samples");
        requireTable(spark, runsPath, "runs");
        Dataset<Row> samples;
        Dataset<Row> runs;
        try {
            samples = spark.read().parquet(samplesPath);
            runs = spark.read().parquet(runsPath);
        } catch (Exception e) {
            // Spark throws its checked SparkException from Scala (a corrupt footer while inferring
            // the schema); anything else is not an input problem and goes on.
            throw readFailure(output, e);
        }
        Set<String> cols = new HashSet<>(Arrays.asList(samples.columns()));
        for (String c : concat(REQUIRED, Setting.COLUMNS)) {
            if (!cols.contains(c)) {
                throw new ReportInputException(
                        "the samples table " + samplesPath + " has no column '" + c + "'");
            }
        }
        Set<String> runCols = new HashSet<>(Arrays.asList(runs.columns()));
        for (String c : List.of("run_id", "started", "status", "schema_version")) {
            if (!runCols.contains(c)) {
                throw new ReportInputException(
                        "the runs table " + runsPath + " has no column '" + c + "'");
            }
        }
        try {
            samples.createOrReplaceTempView(SAMPLES);
            runs.createOrReplaceTempView(RUNS);
            return compute(spark, output, settings, cols, runCols);
        } catch (ReportInputException e) {
            throw e;
        } catch (Exception e) {
            // Spark reports a corrupt or truncated Parquet file only when a query reads it.
            throw readFailure(output, e);
        }
    }

    private static RuntimeException readFailure(String output, Exception e) {
        if (isReadFailure(e)) {
            return new ReportInputException(
                    "cannot read the tables under " + output + ": " + rootMessage(e), e);
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }

    private static ReportData compute(
            SparkSession spark,
            String output,
            ReportSettings settings,
            Set<String> cols,
            Set<String> runCols) {
        boolean logits = cols.contains("adversarial_logit_correct");
        boolean errorKind = cols.contains("error_kind");
        boolean adjointRows = cols.contains("adjoint_reconstruction_error");
        String group = "run_id, " + String.join(", ", Setting.COLUMNS);
        StringBuilder q = new StringBuilder("SELECT ").append(group);
        q.append(", first(experiment, true) AS experiment")
                .append(", max(schema_version) AS schema_version")
                .append(", first(config_hash, true) AS config_hash")
                .append(", first(git_sha, true) AS git_sha")
                .append(", count(*) AS rows")
                .append(", sum(IF(ok, 1, 0)) AS n")
                .append(", sum(IF(ok, 0, 1)) AS errors");
        // The protocol's per-sample criteria (diffpure.eval.Votes), counted over rows without
        // error.
        q.append(", sum(IF(ok AND clean_votes[0] = label, 1, 0)) AS clean_single")
                .append(", sum(IF(ok AND clean_correct * 2 > votes, 1, 0)) AS clean_majority")
                .append(", sum(IF(ok, clean_correct / votes, 0D)) AS clean_mean")
                .append(", sum(IF(ok AND clean_correct = votes, 1, 0)) AS clean_worst")
                .append(", sum(IF(ok AND clean_during_fooled = 0, 1, 0)) AS clean_during")
                .append(", sum(IF(ok AND adversarial_votes[0] = label, 1, 0)) AS robust_single")
                .append(
                        ", sum(IF(ok AND adversarial_correct * 2 > votes, 1, 0)) AS robust_majority")
                .append(", sum(IF(ok, adversarial_correct / votes, 0D)) AS robust_mean")
                .append(", sum(IF(ok AND adversarial_correct = votes, 1, 0)) AS robust_worst")
                .append(", sum(IF(ok AND adversarial_correct > 0, 1, 0)) AS robust_any")
                .append(", sum(IF(ok AND during_attack_fooled = 0, 1, 0)) AS robust_during");
        if (logits) {
            q.append(", sum(IF(ok AND clean_logit_correct, 1, 0)) AS clean_logit")
                    .append(
                            ", sum(IF(ok AND clean_logit_correct IS NOT NULL, 1, 0)) AS clean_logit_n")
                    .append(", sum(IF(ok AND adversarial_logit_correct, 1, 0)) AS robust_logit")
                    .append(
                            ", sum(IF(ok AND adversarial_logit_correct IS NOT NULL, 1, 0))"
                                    + " AS robust_logit_n");
        }
        if (errorKind) {
            q.append(", sum(IF(error_kind = 'data', 1, 0)) AS errors_data")
                    .append(", sum(IF(error_kind = 'compute', 1, 0)) AS errors_compute");
        }
        if (adjointRows) {
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
                .append(SAMPLES)
                .append(") GROUP BY ")
                .append(group);
        List<Row> agg = spark.sql(q.toString()).collectAsList();

        Map<String, Row> runRows = new TreeMap<>();
        for (Row r : spark.table(RUNS).collectAsList()) {
            runRows.put(r.getAs("run_id"), r);
        }
        Map<String, Map<String, Long>> warnings = warnings(spark, group);

        Map<Setting, List<RunFigures>> bySetting = new LinkedHashMap<>();
        for (Row r : agg) {
            Setting s = Setting.of(r);
            String runId = r.getAs("run_id");
            Row run = runRows.get(runId);
            long n = r.<Long>getAs("n");
            Map<String, Interval> clean = new LinkedHashMap<>();
            clean.put("single", w(r, "clean_single", n));
            clean.put("majority", w(r, "clean_majority", n));
            clean.put("mean", w(r, "clean_mean", n));
            clean.put("worst", w(r, "clean_worst", n));
            clean.put("during-attack", w(r, "clean_during", n));
            Map<String, Interval> robust = new LinkedHashMap<>();
            robust.put("single", w(r, "robust_single", n));
            robust.put("majority", w(r, "robust_majority", n));
            robust.put("mean", w(r, "robust_mean", n));
            robust.put("worst", w(r, "robust_worst", n));
            robust.put("during-attack", w(r, "robust_during", n));
            robust.put("any", w(r, "robust_any", n));
            if (logits && r.<Long>getAs("robust_logit_n") > 0) {
                clean.put("averaged-logit", w(r, "clean_logit", r.<Long>getAs("clean_logit_n")));
                robust.put("averaged-logit", w(r, "robust_logit", r.<Long>getAs("robust_logit_n")));
            }
            Map<String, Long> kinds = new LinkedHashMap<>();
            if (errorKind) {
                kinds.put("data", r.<Long>getAs("errors_data"));
                kinds.put("compute", r.<Long>getAs("errors_compute"));
            }
            RunFigures.Cost cost =
                    new RunFigures.Cost(
                            r.<Double>getAs("seconds"),
                            r.<Double>getAs("core_seconds") / 3600,
                            r.<Double>getAs("gpu_seconds") / 3600,
                            nan(r, "seconds_per_sample"),
                            nan(r, "gradients_per_sample"),
                            nan(r, "purifications_per_sample"));
            RunFigures.Adjoint adjoint = adjoint(r, run, adjointRows, runCols);
            String sanity =
                    run != null && runCols.contains("sanity") ? run.<String>getAs("sanity") : null;
            RunFigures f =
                    new RunFigures(
                            s,
                            runId,
                            r.getAs("experiment"),
                            run == null ? null : run.<Timestamp>getAs("started"),
                            run == null ? "no runs row" : run.<String>getAs("status"),
                            r.getAs("config_hash"),
                            r.getAs("git_sha"),
                            r.<Integer>getAs("schema_version"),
                            r.<Long>getAs("rows"),
                            n,
                            r.<Long>getAs("errors"),
                            kinds,
                            clean,
                            robust,
                            cost,
                            nan(r, "max_linf"),
                            nan(r, "max_l2"),
                            r.getAs("modes"),
                            r.<Long>getAs("with_warnings"),
                            warnings.getOrDefault(key(runId, s), Map.of()),
                            adjoint,
                            sanity);
            bySetting.computeIfAbsent(s, k -> new ArrayList<>()).add(f);
        }

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
            Comparison cmp = null;
            if (rs.size() >= 2) {
                cmp =
                        compare(
                                spark,
                                s,
                                rs.get(rs.size() - 2).runId(),
                                rs.get(rs.size() - 1).runId(),
                                settings);
            }
            reports.add(
                    new ReportData.SettingReport(
                            s,
                            List.copyOf(rs),
                            cmp,
                            secondsOf(spark, s, rs.get(rs.size() - 1).runId())));
        }
        Set<Integer> sv = new TreeSet<>();
        for (Row r : spark.sql("SELECT DISTINCT schema_version FROM " + SAMPLES).collectAsList()) {
            if (!r.isNullAt(0)) {
                sv.add(r.getInt(0));
            }
        }
        Set<Integer> rv = new TreeSet<>();
        for (Row r : runRows.values()) {
            Object v = r.getAs("schema_version");
            if (v != null) {
                rv.add((Integer) v);
            }
        }
        return new ReportData(
                output, Instant.now().toString(), sv, rv, reports, Rescores.figures(spark, output));
    }

    /** The paired comparison of two runs of a setting on the samples both have without error. */
    static Comparison compare(
            SparkSession spark, Setting s, String older, String newer, ReportSettings settings) {
        String metric = settings.regressionMetric();
        Dataset<Row> all = spark.table(SAMPLES).where(s.filter()).where("error IS NULL");
        Dataset<Row> a =
                all.where(functions.col("run_id").equalTo(older))
                        .selectExpr(
                                "sample_id",
                                outcome(metric, "clean") + " AS a_clean",
                                outcome(metric, "robust") + " AS a_robust");
        Dataset<Row> b =
                all.where(functions.col("run_id").equalTo(newer))
                        .selectExpr(
                                "sample_id",
                                outcome(metric, "clean") + " AS b_clean",
                                outcome(metric, "robust") + " AS b_robust");
        List<Row> pairs = a.join(b, "sample_id").orderBy("sample_id").collectAsList();
        boolean[] ac = new boolean[pairs.size()];
        boolean[] bc = new boolean[pairs.size()];
        boolean[] ar = new boolean[pairs.size()];
        boolean[] br = new boolean[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            Row p = pairs.get(i);
            ac[i] = p.<Boolean>getAs("a_clean");
            bc[i] = p.<Boolean>getAs("b_clean");
            ar[i] = p.<Boolean>getAs("a_robust");
            br[i] = p.<Boolean>getAs("b_robust");
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

    /** The SQL of a per-sample outcome (diffpure.eval.Votes' criteria) on clean or robust rows. */
    static String outcome(String metric, String which) {
        boolean clean = which.equals("clean");
        String votes = clean ? "clean_votes" : "adversarial_votes";
        String correct = clean ? "clean_correct" : "adversarial_correct";
        return switch (metric) {
            case "single" -> "(" + votes + "[0] = label)";
            case "majority" -> "(" + correct + " * 2 > votes)";
            case "worst" -> "(" + correct + " = votes)";
            case "during-attack" ->
                    "(" + (clean ? "clean_during_fooled" : "during_attack_fooled") + " = 0)";
            default ->
                    throw new IllegalArgumentException(
                            "report.regression-metric must be one of single, majority, worst,"
                                    + " during-attack, found '"
                                    + metric
                                    + "'");
        };
    }

    private static double[] secondsOf(SparkSession spark, Setting s, String runId) {
        return spark
                .table(SAMPLES)
                .where(s.filter())
                .where(functions.col("run_id").equalTo(runId))
                .where("error IS NULL AND seconds IS NOT NULL")
                .select("seconds")
                .collectAsList()
                .stream()
                .mapToDouble(r -> r.getDouble(0))
                .toArray();
    }

    private static Map<String, Map<String, Long>> warnings(SparkSession spark, String group) {
        // Numbers vary per row ("in 3 of 40 evaluations"); the kind of warning does not.
        String q =
                "SELECT "
                        + group
                        + ", regexp_replace(w, '[0-9]+([.][0-9]+)?', 'N') AS kind, count(*) AS c"
                        + " FROM "
                        + SAMPLES
                        + " LATERAL VIEW explode(warnings) t AS w GROUP BY "
                        + group
                        + ", kind ORDER BY kind";
        Map<String, Map<String, Long>> out = new TreeMap<>();
        for (Row r : spark.sql(q).collectAsList()) {
            out.computeIfAbsent(key(r.getAs("run_id"), Setting.of(r)), k -> new LinkedHashMap<>())
                    .put(r.getAs("kind"), r.<Long>getAs("c"));
        }
        return out;
    }

    private static RunFigures.Adjoint adjoint(
            Row r, Row run, boolean adjointRows, Set<String> runCols) {
        double rec = adjointRows ? nan(r, "adjoint_rec_max") : Double.NaN;
        double cos =
                adjointRows && Arrays.asList(r.schema().fieldNames()).contains("adjoint_cos_min")
                        ? nan(r, "adjoint_cos_min")
                        : Double.NaN;
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

    private static String key(String runId, Setting s) {
        return runId + "\u0000" + s.slug();
    }

    private static Interval w(Row r, String column, long n) {
        Object v = r.getAs(column);
        double successes = v instanceof Number x ? x.doubleValue() : 0;
        // Fractional sums (mean of K) can exceed n by rounding; keep them in range.
        return Interval.wilson(Math.min(successes, n), n);
    }

    private static double nan(Row r, String column) {
        Object v = r.getAs(column);
        return v instanceof Number x ? x.doubleValue() : Double.NaN;
    }

    private static void requireTable(SparkSession spark, String path, String name) {
        Path p = new Path(path);
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(p)) {
                throw new ReportInputException(
                        "no " + name + " table at " + path + " (is run.output right?)");
            }
        } catch (IOException e) {
            throw new ReportInputException(
                    "cannot open the " + name + " table at " + path + ": " + e.getMessage(), e);
        }
    }

    private static boolean isReadFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String name = t.getClass().getName();
            if (t instanceof IOException
                    || name.endsWith("AnalysisException")
                    || name.endsWith("SparkException")
                    || name.contains("parquet")) {
                return true;
            }
        }
        return false;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? e.getMessage() : e.getMessage() + " (" + t + ")";
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
