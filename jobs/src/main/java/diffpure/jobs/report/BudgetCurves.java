package diffpure.jobs.report;

import static diffpure.jobs.report.ReportText.interval;
import static diffpure.jobs.report.UntrustedText.html;
import static diffpure.jobs.report.UntrustedText.markdown;
import static diffpure.jobs.report.UntrustedText.markdownCode;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import diffpure.eval.BudgetCurve;
import diffpure.eval.CheckpointOutcome;
import diffpure.eval.Interval;
import diffpure.eval.Metric;
import diffpure.eval.StepRowCost;
import diffpure.jobs.store.ResultTables;
import diffpure.jobs.store.SamplesTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The report's budget curves: per (run, setting) whose rows carry budget checkpoints (samples
 * column {@code budget_checkpoints}, schema 3), robust accuracy of the best iterate so far against
 * the attack's model step-rows per sample ({@link BudgetCurve}), every vote metric and
 * during-attack with 95% Wilson intervals, as a chart (log x), an HTML table, Markdown lines and
 * JSON. Each point is "iteration b of a run of N": where the attack's schedule depends on N (APGD)
 * it is not the figure of a run with budget b. The same figures in SQL: {@link #sql} ({@code
 * notebooks/budget_curve.sql}).
 */
final class BudgetCurves {
    /** The samples column. */
    static final String COLUMN = SamplesTable.BUDGET_CHECKPOINTS.name();

    /** The metrics a curve has, in report order. */
    static final List<Metric> METRICS =
            List.of(
                    Metric.SINGLE,
                    Metric.MAJORITY,
                    Metric.MEAN,
                    Metric.WORST,
                    Metric.ANY,
                    Metric.DURING_ATTACK);

    private BudgetCurves() {}

    /**
     * One run's curve for one setting.
     *
     * @param runId the run
     * @param setting the setting
     * @param curve its points, one per checkpoint
     */
    record RunCurve(String runId, Setting setting, BudgetCurve curve) {}

    /**
     * The curves of every (run, setting) with checkpoints in the report's samples view, over its
     * rows without error; none when the table predates the column.
     *
     * @throws ReportInputException when the rows of one run and setting have different checkpoints
     */
    static List<RunCurve> of(SparkSession spark, Set<String> samplesColumns) {
        if (!samplesColumns.contains(COLUMN)) {
            return List.of();
        }
        List<Column> cols = new ArrayList<>();
        cols.add(functions.col("run_id"));
        Setting.COLUMNS.forEach(c -> cols.add(functions.col(c)));
        for (String c :
                SamplesTable.names(
                        SamplesTable.SAMPLE_ID,
                        SamplesTable.LABEL,
                        SamplesTable.GRADIENT_ROW_STEPS,
                        SamplesTable.FORWARD_ROW_STEPS,
                        SamplesTable.BUDGET_CHECKPOINTS)) {
            cols.add(functions.col(c));
        }
        List<Row> rows =
                spark.table(ReportTables.VIEWS.samples())
                        .where("error IS NULL AND size(" + COLUMN + ") > 0")
                        .select(cols.toArray(new Column[0]))
                        .orderBy("run_id", "sample_id")
                        .collectAsList();
        Map<String, List<BudgetCurve.Sample>> samples = new LinkedHashMap<>();
        Map<String, RunCurve> keys = new LinkedHashMap<>();
        Map<String, StepRowCost> costs = new HashMap<>();
        for (Row r : rows) {
            Setting s = Setting.of(r);
            String runId = r.getAs("run_id");
            String key = ReportJob.key(runId, s);
            keys.putIfAbsent(key, new RunCurve(runId, s, null));
            costs.putIfAbsent(key, ResultTables.stepRowCost(r));
            List<CheckpointOutcome> cps = SamplesTable.BUDGET_CHECKPOINTS.of(r);
            samples.computeIfAbsent(key, k -> new ArrayList<>())
                    .add(
                            new BudgetCurve.Sample(
                                    SamplesTable.SAMPLE_ID.of(r), SamplesTable.LABEL.of(r), cps));
        }
        List<RunCurve> out = new ArrayList<>();
        for (Map.Entry<String, RunCurve> e : keys.entrySet()) {
            RunCurve k = e.getValue();
            try {
                out.add(
                        new RunCurve(
                                k.runId(),
                                k.setting(),
                                BudgetCurve.ofSamples(
                                        samples.get(e.getKey()), costs.get(e.getKey()))));
            } catch (IllegalArgumentException x) {
                throw new ReportInputException(
                        "the samples table's "
                                + COLUMN
                                + " of run "
                                + UntrustedText.visible(k.runId())
                                + " differ between samples: "
                                + x.getMessage(),
                        x);
            }
        }
        return out;
    }

    /** A metric's name in the curve's columns and JSON: single ... during-attack. */
    private static String name(Metric m) {
        return m.key();
    }

    /**
     * The HTML of one curve: the chart (where a point has step-rows) and the table.
     *
     * @param index the curve's place in the report (its chart's id)
     */
    static void appendHtml(StringBuilder b, RunCurve c, int index) {
        b.append("<h4>Budget curve (attack.budget-checkpoints)</h4>\n<p>Robust accuracy of the")
                .append(" attack's best iterate so far at each checkpoint, K fresh votes each,")
                .append(" against the attack's model step-rows per sample by then (each gradient")
                .append(" and forward evaluation &times; the steps of the chain it went through:")
                .append(" the defence's, or a surrogate's; the checkpoints' own votes are not")
                .append(" counted); 95% Wilson intervals. Each point is <em>iteration b of a")
                .append(" run of N</em>: where the attack's schedule depends on N (APGD) it is not")
                .append(" the figure of a run with budget b. The votes are the run's own:")
                .append(" <code>rescore</code> re-votes only the final image, never a")
                .append(" checkpoint's.</p>\n");
        Charts.Chart chart = chart(c, index);
        if (chart != null) {
            HtmlReport.chart(b, chart);
        }
        b.append("<table class=\"budget\"><tr><th>checkpoint</th><th>step-rows per sample</th>");
        for (Metric m : METRICS) {
            b.append("<th>robust ").append(html(name(m))).append("</th>");
        }
        b.append("</tr>\n");
        for (BudgetCurve.Point p : c.curve().points()) {
            b.append("<tr><td>")
                    .append(html(p.label()))
                    .append("</td><td class=\"num\">")
                    .append(String.format(Locale.ROOT, "%.1f", p.stepRows()))
                    .append("</td>");
            for (Metric m : METRICS) {
                b.append("<td class=\"num\">").append(interval(p.of(m))).append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
    }

    /**
     * The chart of one curve: one series per metric, x the step-rows on a log axis; null when no
     * point has step-rows (a log axis has no 0).
     *
     * @param index where the chart is among the report's budget charts (its id)
     */
    static Charts.Chart chart(RunCurve c, int index) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (Metric m : METRICS) {
            YIntervalSeries s = new YIntervalSeries("robust " + name(m), true, true);
            for (BudgetCurve.Point p : c.curve().points()) {
                Interval i = p.of(m);
                if (i != null && p.stepRows() > 0 && i.trials() > 0) {
                    s.add(p.stepRows(), i.estimate(), i.lower(), i.upper());
                }
            }
            if (s.getItemCount() > 0) {
                data.addSeries(s);
            }
        }
        if (data.getSeriesCount() == 0) {
            return null;
        }
        LogAxis x = new LogAxis("attack model step-rows per sample (log)");
        x.setSmallestValue(1e-3);
        // Ticks as plain numbers (398, not 10^2.6).
        x.setNumberFormatOverride(
                new java.text.DecimalFormat(
                        "#,##0", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT)));
        DeviationRenderer r = new DeviationRenderer(true, true);
        r.setAlpha(0.15f);
        XYPlot plot = new XYPlot(data, x, Charts.accuracyAxis(), r);
        Charts.styleBands(r, data.getSeriesCount());
        // No table string in the title: the chart sits in its run's section, and its title is
        // also the image's alt text.
        return Charts.chart(
                "budget-" + index + "-" + c.setting().slug(),
                "Budget curve: robust accuracy against attack step-rows",
                "Robust accuracy of the best iterate so far against the attack's step-rows per"
                        + " sample, per metric, 95% Wilson band; each point is iteration b of a run"
                        + " of N.",
                plot);
    }

    /** Markdown lines for the newest runs' curves: majority, worst of K and during attack. */
    static void appendMarkdown(StringBuilder b, ReportData d) {
        List<String> lines = new ArrayList<>();
        for (ReportData.SettingReport s : d.settings()) {
            RunCurve c = d.budgetCurveOf(s.newest());
            if (c == null) {
                continue;
            }
            for (BudgetCurve.Point p : c.curve().points()) {
                lines.add(
                        "| "
                                + markdown(s.setting().label())
                                + " | "
                                + markdownCode(c.runId())
                                + " | "
                                + markdown(p.label())
                                + " | "
                                + String.format(Locale.ROOT, "%.1f", p.stepRows())
                                + " | "
                                + interval(p.majority())
                                + " | "
                                + interval(p.worst())
                                + " | "
                                + interval(p.duringAttack())
                                + " |\n");
            }
        }
        if (lines.isEmpty()) {
            return;
        }
        b.append("Budget curves (newest runs with attack.budget-checkpoints; robust accuracy of")
                .append(" the best iterate so far; iteration b of a run of N is not a run with")
                .append(
                        " budget b; the run's own votes: rescore re-votes only the final image):\n\n")
                .append("| setting | run | checkpoint | step-rows per sample | majority | worst")
                .append(" of K | during attack |\n|---|---|---|---|---|---|---|\n");
        lines.forEach(b::append);
        b.append('\n');
    }

    /** The JSON of one curve: its points in order. */
    static JsonArray json(BudgetCurve curve) {
        JsonArray a = new JsonArray();
        for (BudgetCurve.Point p : curve.points()) {
            JsonObject o = new JsonObject();
            o.addProperty("iteration", p.iteration());
            o.addProperty("of_iterations", p.ofIterations());
            o.addProperty("label", p.label());
            o.addProperty("step_rows", p.stepRows());
            Map<String, Interval> robust = new LinkedHashMap<>();
            for (Metric m : METRICS) {
                // during-attack of a surrogate-judged attack is not recorded: no samples, as the
                // accuracy intervals show a metric without values
                robust.put(name(m), p.of(m) != null ? p.of(m) : Interval.wilson(0, 0));
            }
            o.add("robust", JsonReport.intervals(robust));
            a.add(o);
        }
        return a;
    }

    /**
     * The curve as Spark SQL over the view {@code samples}: per run, setting and checkpoint, the
     * samples without error, the mean step-rows and each metric's successes ({@link
     * Metric#checkpointSql}); a Wilson interval is {@code Interval.wilson(successes, samples)}.
     * Needs the column (schema 3).
     */
    static String sql() {
        String key = "run_id, " + String.join(", ", Setting.COLUMNS);
        StringBuilder b =
                new StringBuilder("SELECT ")
                        .append(key)
                        .append(", c.iteration, c.of_iterations,\n")
                        .append("       count(*) AS samples,\n")
                        .append("       avg(CAST(c.gradient_evaluations")
                        .append(" * coalesce(gradient_row_steps, steps)\n")
                        .append("                + c.forward_evaluations")
                        .append(" * coalesce(forward_row_steps, steps) AS DOUBLE))")
                        .append(" AS step_rows");
        for (Metric m : METRICS) {
            // NULL (no coalesce) where a metric was not recorded: during-attack of a run judged on
            // a surrogate
            b.append(",\n       sum(")
                    .append(m.checkpointSql("c", "votes"))
                    .append(") AS ")
                    .append(MetricViews.Side.ROBUST.column(m));
        }
        b.append("\nFROM samples LATERAL VIEW explode(")
                .append(COLUMN)
                .append(") x AS c\nWHERE error IS NULL\nGROUP BY ")
                .append(key)
                .append(", c.iteration, c.of_iterations\nORDER BY ")
                .append(key)
                .append(", c.iteration");
        return b.toString();
    }

    /** The text of {@code notebooks/budget_curve.sql}. */
    static String file() {
        return "-- Budget curves from one run's checkpoints (samples column budget_checkpoints, schema"
                + " 3):\n"
                + "-- per run, setting and checkpoint (\"iteration b of a run of N\"), the samples"
                + " without error,\n"
                + "-- the attack's mean model step-rows per sample by then (each row through the"
                + " chain it went\n"
                + "-- through: gradient_row_steps, forward_row_steps; before schema 5, steps) and"
                + " each metric's successes at the\n"
                + "-- best iterate so far; a Wilson interval is Interval.wilson(successes, samples)"
                + " (notebooks:\n"
                + "-- wilson(successes, samples)). Generated by diffpure.jobs.report.BudgetCurves"
                + " from the\n"
                + "-- metrics' one definition (diffpure.eval.Metric); the report's curves give the"
                + " same numbers\n"
                + "-- (BudgetCurvesTest). Run: bin/diffpure sql \"$(cat notebooks/budget_curve.sql)\"\n"
                + "-- later-column: gradient_row_steps INT\n"
                + "-- later-column: forward_row_steps INT\n"
                + sql()
                + "\n";
    }
}
