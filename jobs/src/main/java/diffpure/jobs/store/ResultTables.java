package diffpure.jobs.store;

import diffpure.eval.Interval;
import diffpure.eval.ProtocolSummary;
import diffpure.eval.SampleOutcome;
import diffpure.eval.StepRowCost;
import java.io.PrintStream;
import java.util.Arrays;
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
     * @param errors rows with an error (of any kind)
     * @param computeErrors of those, rows of error_kind compute (a resume recomputes them)
     * @param adjoint the adjoint gradient's error figures over the run's rows (absent unless the
     *     run used gradient mode adjoint)
     */
    public record RunSummary(
            ProtocolSummary summary, long errors, long computeErrors, AdjointSummary adjoint) {
        /** A summary without adjoint figures. */
        public RunSummary(ProtocolSummary summary, long errors, long computeErrors) {
            this(summary, errors, computeErrors, AdjointSummary.NONE);
        }

        /** Planned samples: rows with and without error. */
        public long planned() {
            return summary.samples() + errors;
        }

        /**
         * Bounds on an accuracy over all planned samples, whatever the error rows would have given:
         * [robust / planned, (robust + errors) / planned].
         */
        public double[] bounds(Interval i) {
            double robust = i.estimate() * summary.samples();
            long n = planned();
            return n == 0 ? new double[] {0, 0} : new double[] {robust / n, (robust + errors) / n};
        }
    }

    /** Registers the temporary views {@code samples} and {@code runs} over an output directory. */
    public static void registerViews(SparkSession spark, String output) {
        // Files of several schema versions: the union of their columns (older rows NULL).
        // The step-row columns as NULL where every file predates them: the SQL that reads them
        // falls back to steps (BudgetCurves).
        ResultTables.withColumnsSince(
                        spark.read()
                                .option("mergeSchema", "true")
                                .parquet(TablePaths.samples(output)),
                        5)
                .createOrReplaceTempView("samples");
        spark.read().parquet(TablePaths.runs(output)).createOrReplaceTempView("runs");
    }

    /**
     * The columns the summary reads: ids, labels, votes and the during-attack counts, never the
     * perturbations (at ImageNet size those are gigabytes on the driver).
     */
    public static final List<String> SUMMARY_COLUMNS =
            SamplesTable.names(
                    SamplesTable.SAMPLE_ID,
                    SamplesTable.LABEL,
                    SamplesTable.CLEAN_VOTES,
                    SamplesTable.ADVERSARIAL_VOTES,
                    SamplesTable.DURING_ATTACK_EVALUATIONS,
                    SamplesTable.DURING_ATTACK_FOOLED,
                    SamplesTable.CLEAN_DURING_EVALUATIONS,
                    SamplesTable.CLEAN_DURING_FOOLED);

    /** The summary of one run. */
    public static RunSummary summarize(SparkSession spark, String samplesPath, String runId) {
        List<SampleOutcome> ok =
                summaryRows(spark, samplesPath, runId).collectAsList().stream()
                        .map(SamplesTable::toOutcome)
                        .toList();
        Dataset<Row> all = runRows(spark, samplesPath, runId);
        long errors = all.where("error IS NOT NULL").count();
        long compute =
                Arrays.asList(all.columns()).contains("error_kind")
                        ? all.where("error_kind = '" + SamplesTable.COMPUTE + "'").count()
                        : 0;
        boolean adjoint = Arrays.asList(all.columns()).contains("adjoint_reconstruction_error");
        return new RunSummary(
                ProtocolSummary.of(ok),
                errors,
                compute,
                adjoint ? AdjointSummary.of(spark, samplesPath, runId) : AdjointSummary.NONE);
    }

    /** The rows the summary collects: {@link #SUMMARY_COLUMNS} of the rows without error. */
    public static Dataset<Row> summaryRows(SparkSession spark, String samplesPath, String runId) {
        Dataset<Row> rows = runRows(spark, samplesPath, runId);
        List<String> cols = new java.util.ArrayList<>(SUMMARY_COLUMNS);
        // Schema 2: the averaged-logit predictions (version 1 tables lack them).
        for (String c : LOGIT_COLUMNS) {
            if (Arrays.asList(rows.columns()).contains(c)) {
                cols.add(c);
            }
        }
        return rows.where("error IS NULL")
                .select(cols.stream().map(functions::col).toArray(Column[]::new))
                .orderBy("sample_id");
    }

    /** The averaged-logit columns of schema version 2. */
    public static final List<String> LOGIT_COLUMNS =
            SamplesTable.names(
                    SamplesTable.CLEAN_LOGIT_PREDICTION, SamplesTable.ADVERSARIAL_LOGIT_PREDICTION);

    private static Dataset<Row> runRows(SparkSession spark, String samplesPath, String runId) {
        return spark.read().parquet(samplesPath).where(functions.col("run_id").equalTo(runId));
    }

    /**
     * Prints the accuracy table (standard and robust accuracy, each with its 95% interval: Wilson,
     * or the confidence sequence of a run that stopped on its rule).
     */
    public static void print(RunSummary r, PrintStream out) {
        ProtocolSummary s = r.summary();
        out.printf(
                Locale.ROOT,
                "accuracy over %d samples without error, 95%% %s; %d error rows"
                        + " (%d compute, recomputed by a resume; %d data)%n",
                s.samples(),
                s.intervals() == diffpure.eval.IntervalKind.CONFIDENCE_SEQUENCE
                        ? "confidence sequence intervals (valid at the stop)"
                        : "Wilson intervals",
                r.errors(),
                r.computeErrors(),
                r.errors() - r.computeErrors());
        out.printf(
                Locale.ROOT,
                "  %-22s %-26s %-26s %s%n",
                "",
                "standard (clean)",
                "robust (adversarial)",
                "robust over all " + r.planned() + " planned (error rows broken .. robust)");
        row(out, r, "single (vote 1)", s.cleanSingle(), s.single());
        row(out, r, "majority of K", s.cleanMajority(), s.majority());
        row(out, r, "mean of K", s.cleanMean(), s.mean());
        row(out, r, "worst of K", s.cleanWorst(), s.worst());
        row(out, r, "averaged logits", s.cleanLogit(), s.logit());
        row(out, r, "during attack", s.cleanDuring(), s.duringAttack());
        row(out, r, "any of K", null, s.any());
        AdjointSummary a = r.adjoint();
        if (a.isPresent()) {
            out.printf(
                    Locale.ROOT,
                    "adjoint gradients (not exact): largest reconstruction error of y_0 %s; smallest"
                            + " cosine to the exact gradient on the sanity subset %s%n",
                    a.reconstructionErrorMax() == null
                            ? "-"
                            : String.format(Locale.ROOT, "%.3g", a.reconstructionErrorMax()),
                    a.cosineMin() == null
                            ? "-"
                            : String.format(Locale.ROOT, "%.4f", a.cosineMin()));
        }
    }

    private static void row(
            PrintStream out, RunSummary r, String name, Interval clean, Interval robust) {
        String bound = "-";
        if (robust != null) {
            double[] b = r.bounds(robust);
            bound = String.format(Locale.ROOT, "%.3f .. %.3f", b[0], b[1]);
        }
        out.printf(Locale.ROOT, "  %-22s %-26s %-26s %s%n", name, fmt(clean), fmt(robust), bound);
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

    /**
     * The step-rows of each kind of row of a stored sample ({@link StepRowCost}); rows before
     * schema 5 went through the defence's {@code steps} only (no surrogate gradients then).
     */
    public static StepRowCost stepRowCost(Row r) {
        int steps = Math.max(1, SamplesTable.STEPS.of(r));
        Integer gradient = SamplesTable.GRADIENT_ROW_STEPS.of(r);
        Integer forward = SamplesTable.FORWARD_ROW_STEPS.of(r);
        return new StepRowCost(
                gradient == null ? steps : gradient, forward == null ? steps : forward, steps);
    }

    /**
     * The table with the columns of schema {@code since} and later that its files predate, as
     * NULLs, so that SQL naming them runs on older tables too.
     */
    public static Dataset<Row> withColumnsSince(Dataset<Row> d, int since) {
        List<String> have = Arrays.asList(d.columns());
        Dataset<Row> out = d;
        for (SampleColumn<?> c : SamplesTable.COLUMNS) {
            if (c.since() >= since && !have.contains(c.name())) {
                out = out.withColumn(c.name(), functions.lit(null).cast(c.type()));
            }
        }
        return out;
    }
}
