package diffpure.jobs.eval;

import diffpure.eval.Interval;
import diffpure.eval.ProtocolSummary;
import diffpure.eval.SampleOutcome;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/** Reads the result tables back: the accuracy summary of a run, views for Spark SQL. */
public final class ResultTables {
    private ResultTables() {}

    /**
     * A run's summary.
     *
     * @param summary accuracies with Wilson intervals over the samples without error
     * @param errors rows with an error
     */
    public record RunSummary(ProtocolSummary summary, long errors) {}

    /** Registers the temporary views {@code samples} and {@code runs} over an output directory. */
    public static void registerViews(SparkSession spark, String output) {
        spark.read().parquet(EvaluationJob.samplesPath(output)).createOrReplaceTempView("samples");
        spark.read().parquet(EvaluationJob.runsPath(output)).createOrReplaceTempView("runs");
    }

    /**
     * The columns the summary reads: ids, labels, votes and the during-attack counts, never the
     * perturbations (at ImageNet size those are gigabytes on the driver).
     */
    static final List<String> SUMMARY_COLUMNS =
            List.of(
                    "sample_id",
                    "label",
                    "clean_votes",
                    "adversarial_votes",
                    "during_attack_evaluations",
                    "during_attack_fooled",
                    "clean_during_evaluations",
                    "clean_during_fooled");

    /** The summary of one run. */
    public static RunSummary summarize(SparkSession spark, String samplesPath, String runId) {
        List<SampleOutcome> ok =
                summaryRows(spark, samplesPath, runId).collectAsList().stream()
                        .map(ResultTables::votesOnly)
                        .toList();
        long errors = runRows(spark, samplesPath, runId).where("error IS NOT NULL").count();
        return new RunSummary(ProtocolSummary.of(ok), errors);
    }

    /** The rows the summary collects: {@link #SUMMARY_COLUMNS} of the rows without error. */
    static Dataset<Row> summaryRows(SparkSession spark, String samplesPath, String runId) {
        return runRows(spark, samplesPath, runId)
                .where("error IS NULL")
                .select(SUMMARY_COLUMNS.stream().map(functions::col).toArray(Column[]::new))
                .orderBy("sample_id");
    }

    private static Dataset<Row> runRows(SparkSession spark, String samplesPath, String runId) {
        return spark.read().parquet(samplesPath).where(functions.col("run_id").equalTo(runId));
    }

    /** A summary row as an outcome that holds what the summary reads (no perturbation). */
    private static SampleOutcome votesOnly(Row r) {
        return new SampleOutcome(
                r.getAs("sample_id"),
                r.<Integer>getAs("label"),
                ints(r.getList(r.fieldIndex("clean_votes"))),
                ints(r.getList(r.fieldIndex("adversarial_votes"))),
                r.<Long>getAs("during_attack_evaluations"),
                r.<Long>getAs("during_attack_fooled"),
                r.<Long>getAs("clean_during_evaluations"),
                r.<Long>getAs("clean_during_fooled"),
                Double.NaN,
                Double.NaN,
                new float[0],
                -1,
                null,
                0,
                0,
                0,
                null,
                0,
                List.of());
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Prints the accuracy table (standard and robust accuracy, each with its 95% Wilson interval).
     */
    public static void print(RunSummary r, PrintStream out) {
        ProtocolSummary s = r.summary();
        out.printf(
                Locale.ROOT,
                "accuracy over %d samples (%d error rows left out), 95%% Wilson" + " intervals%n",
                s.samples(),
                r.errors());
        out.printf(
                Locale.ROOT,
                "  %-22s %-26s %-26s%n",
                "",
                "standard (clean)",
                "robust (adversarial)");
        row(out, "single (vote 1)", s.cleanSingle(), s.single());
        row(out, "majority of K", s.cleanMajority(), s.majority());
        row(out, "mean of K", s.cleanMean(), s.mean());
        row(out, "worst of K", s.cleanWorst(), s.worst());
        row(out, "during attack", s.cleanDuring(), s.duringAttack());
        row(out, "any of K", null, s.any());
    }

    private static void row(PrintStream out, String name, Interval clean, Interval robust) {
        out.printf(Locale.ROOT, "  %-22s %-26s %-26s%n", name, fmt(clean), fmt(robust));
    }

    private static String fmt(Interval i) {
        return i == null
                ? "-"
                : String.format(
                        Locale.ROOT, "%.3f [%.3f, %.3f]", i.estimate(), i.lower(), i.upper());
    }

    /** Rows of a query, for printing. */
    public static List<Row> query(SparkSession spark, String sql) {
        return spark.sql(sql).collectAsList();
    }
}
