package diffpure.jobs.report;

import diffpure.jobs.store.ResultTables;
import diffpure.jobs.store.TablePaths;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The samples and runs tables of a run output, opened for a report: present, readable, with the
 * columns a report needs, registered as the report's views. Every input problem is a {@link
 * ReportInputException} naming the table or path.
 *
 * @param samplesColumns the samples table's columns (newer schemas have more)
 * @param runsColumns the runs table's columns
 */
record ReportTables(Set<String> samplesColumns, Set<String> runsColumns) {
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

    /** Runs columns a report cannot do without. */
    static final List<String> REQUIRED_RUNS =
            List.of("run_id", "started", "status", "schema_version");

    /** The report's view names (the metric views over the samples view among them). */
    static final MetricViews.Names VIEWS =
            new MetricViews.Names(
                    "diffpure_report_samples",
                    "diffpure_report_outcomes",
                    "diffpure_report_accuracy");

    /** The runs view name. */
    static final String RUNS = "diffpure_report_runs";

    /** Opens both tables and registers the views. */
    static ReportTables open(SparkSession spark, String output) {
        String samplesPath = TablePaths.samples(output);
        String runsPath = TablePaths.runs(output);
        requireTable(spark, samplesPath, "samples");
        requireTable(spark, runsPath, "runs");
        // Files of several schema versions: the union of their columns, older rows NULL in the
        // newer ones (without merging, Spark takes one file's schema, whichever it reads first).
        // The runs table likewise: rows without the stop columns beside newer ones.
        Dataset<Row> samples =
                reading(
                        output,
                        () ->
                                ResultTables.withColumnsSince(
                                        spark.read()
                                                .option("mergeSchema", "true")
                                                .parquet(samplesPath),
                                        5));
        Dataset<Row> runs =
                reading(output, () -> spark.read().option("mergeSchema", "true").parquet(runsPath));
        Set<String> cols = requireColumns(samples, "samples", samplesPath, REQUIRED);
        requireColumns(samples, "samples", samplesPath, Setting.COLUMNS);
        Set<String> runCols = requireColumns(runs, "runs", runsPath, REQUIRED_RUNS);
        reading(
                output,
                () -> {
                    samples.createOrReplaceTempView(VIEWS.samples());
                    runs.createOrReplaceTempView(RUNS);
                    MetricViews.register(spark, VIEWS);
                    return null;
                });
        return new ReportTables(cols, runCols);
    }

    /**
     * Runs a step that reads the tables; Spark reports a corrupt or truncated Parquet file only
     * when a query reads it, as its checked SparkException thrown from Scala.
     */
    static <T> T reading(String output, Supplier<T> step) {
        try {
            return step.get();
        } catch (ReportInputException e) {
            throw e;
        } catch (Exception e) {
            throw readFailure(output, e);
        }
    }

    private static Set<String> requireColumns(
            Dataset<Row> table, String name, String path, List<String> required) {
        Set<String> cols = new HashSet<>(Arrays.asList(table.columns()));
        for (String c : required) {
            if (!cols.contains(c)) {
                throw new ReportInputException(
                        "the " + name + " table " + path + " has no column '" + c + "'");
            }
        }
        return cols;
    }

    private static RuntimeException readFailure(String output, Exception e) {
        if (isReadFailure(e)) {
            return new ReportInputException(
                    "cannot read the tables under " + output + ": " + rootMessage(e), e);
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e);
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
}
