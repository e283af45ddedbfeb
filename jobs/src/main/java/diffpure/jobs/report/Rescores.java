package diffpure.jobs.report;

import diffpure.eval.Interval;
import diffpure.eval.Metric;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code rescores} table ({@code <run.output>/rescores}, partitioned by rescore_id and chunk):
 * one row per (rescore, sample), linked to its source row by (source_run_id, sample_id and the
 * source setting's columns), with the rescore's own purifier, classifier and K in the {@code
 * rescore_*} columns. Rescored rows never go into {@code samples}.
 */
public final class Rescores {
    /** Bumped whenever a column changes meaning or type. */
    public static final int SCHEMA_VERSION = 1;

    /** The schema; rescore_id and chunk are the partition columns. */
    public static final StructType SCHEMA;

    static {
        List<StructField> f = new ArrayList<>();
        add(f, "schema_version", DataTypes.IntegerType);
        add(f, "rescore_id", DataTypes.StringType);
        add(f, "chunk", DataTypes.IntegerType);
        add(f, "source_run_id", DataTypes.StringType);
        add(f, "source_config_hash", DataTypes.StringType);
        add(f, "sample_id", DataTypes.LongType);
        add(f, "label", DataTypes.IntegerType);
        add(f, "dataset", DataTypes.StringType);
        add(f, "attack", DataTypes.StringType);
        add(f, "norm", DataTypes.StringType);
        add(f, "eps", DataTypes.DoubleType);
        add(f, "purifier", DataTypes.StringType);
        add(f, "t_star", DataTypes.DoubleType);
        add(f, "steps", DataTypes.IntegerType);
        add(f, "classifier", DataTypes.StringType);
        add(f, "score_model", DataTypes.StringType);
        add(f, "votes", DataTypes.IntegerType);
        add(f, "rescore_purifier", DataTypes.StringType);
        add(f, "rescore_t_star", DataTypes.DoubleType);
        add(f, "rescore_steps", DataTypes.IntegerType);
        add(f, "rescore_classifier", DataTypes.StringType);
        add(f, "rescore_classifier_sha256", DataTypes.StringType);
        add(f, "rescore_score_model", DataTypes.StringType);
        add(f, "rescore_votes", DataTypes.IntegerType);
        add(f, "clean_votes", DataTypes.createArrayType(DataTypes.IntegerType, false));
        add(f, "adversarial_votes", DataTypes.createArrayType(DataTypes.IntegerType, false));
        add(f, "clean_correct", DataTypes.IntegerType);
        add(f, "adversarial_correct", DataTypes.IntegerType);
        add(f, "clean_logit_prediction", DataTypes.IntegerType);
        add(f, "adversarial_logit_prediction", DataTypes.IntegerType);
        add(f, "clean_logit_correct", DataTypes.BooleanType);
        add(f, "adversarial_logit_correct", DataTypes.BooleanType);
        add(f, "vote_evaluations", DataTypes.LongType);
        add(f, "seconds", DataTypes.DoubleType);
        add(f, "executor", DataTypes.StringType);
        add(f, "device", DataTypes.StringType);
        add(f, "torch_threads", DataTypes.IntegerType);
        add(f, "seed", DataTypes.LongType);
        add(f, "error", DataTypes.StringType);
        add(f, "git_sha", DataTypes.StringType);
        add(f, "config_hash", DataTypes.StringType);
        SCHEMA = new StructType(f.toArray(new StructField[0]));
    }

    private Rescores() {}

    private static void add(
            List<StructField> f, String name, org.apache.spark.sql.types.DataType t) {
        f.add(DataTypes.createStructField(name, t, true));
    }

    /** The rescores table under an output directory. */
    public static String path(String output) {
        return output.replaceAll("/+$", "") + "/rescores";
    }

    /** Accuracies per (rescore, source run, source setting); empty when there is no table. */
    public static List<RescoreFigures> figures(SparkSession spark, String output) {
        String p = path(output);
        try {
            Path hp = new Path(p);
            if (!hp.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(hp)) {
                return List.of();
            }
        } catch (IOException e) {
            throw new ReportInputException("cannot open the rescores table at " + p + ": " + e, e);
        }
        spark.read().parquet(p).createOrReplaceTempView("diffpure_report_rescores");
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
        q.append(" FROM (SELECT *, error IS NULL AS ok FROM diffpure_report_rescores)")
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

    private static List<Metric> rescored(MetricViews.Side side) {
        return side.metrics().stream().filter(p -> p != Metric.DURING_ATTACK).toList();
    }

    private static Interval w(Row r, String column, long n) {
        Object v = r.getAs(column);
        double s = v instanceof Number x ? x.doubleValue() : 0;
        return Interval.wilson(Math.min(s, n), n);
    }
}
