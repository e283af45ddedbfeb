package diffpure.jobs.report;

import diffpure.eval.Interval;
import diffpure.eval.Metric;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Computes the report's strongest-evidence section from the view {@code strongest} (newest pass per
 * threat setting) and the samples rows of the same threat setting: each attack's newest run, the
 * samples only it broke, and the minimum over the recorded verdicts for contrast.
 */
final class StrongestSection {
    private static final String VIEW = "diffpure_report_strongest";
    private static final List<String> THREAT =
            List.of(
                    "dataset",
                    "classifier",
                    "classifier_sha256",
                    "score_model",
                    "purifier",
                    "t_star",
                    "steps",
                    "norm",
                    "eps");

    private StrongestSection() {}

    /** One figure set per pass; empty when the output has no strongest-evidence pass. */
    static List<StrongestFigures> of(SparkSession spark, String output) {
        if (!StrongestView.register(spark, output, "diffpure_report_strongest_rescores", VIEW)) {
            return List.of();
        }
        Map<String, List<Row>> passes = new TreeMap<>();
        for (Row r : spark.table(VIEW).collectAsList()) {
            passes.computeIfAbsent(r.getAs("strongest_id"), k -> new ArrayList<>()).add(r);
        }
        List<StrongestFigures> out = new ArrayList<>();
        passes.forEach((id, rows) -> out.add(figures(spark, id, rows)));
        return out;
    }

    private static StrongestFigures figures(SparkSession spark, String id, List<Row> rows) {
        Row first = rows.get(0);
        List<String> excluded = first.getList(first.fieldIndex("excluded_runs"));
        List<Row> ok = rows.stream().filter(r -> r.<Boolean>getAs("ok")).toList();
        Map<String, Interval> fresh = new LinkedHashMap<>();
        for (Metric m : StrongestView.metrics()) {
            String c = MetricViews.Side.ROBUST.column(m);
            double s =
                    ok.stream()
                            .mapToDouble(r -> r.isNullAt(r.fieldIndex(c)) ? 0 : r.<Double>getAs(c))
                            .sum();
            fresh.put(m.key(), Interval.wilson(Math.min(s, ok.size()), ok.size()));
        }
        Map<String, Long> chosen = new TreeMap<>();
        ok.forEach(r -> chosen.merge(r.getAs("attack"), 1L, Long::sum));
        Recorded rec = recorded(spark, first, excluded);
        List<StrongestFigures.AttackLine> attacks = new ArrayList<>();
        rec.newest()
                .forEach(
                        (attack, run) ->
                                attacks.add(
                                        new StrongestFigures.AttackLine(
                                                attack,
                                                rec.runs().get(attack).size(),
                                                run.runId(),
                                                Interval.wilson(run.robust(), run.n()),
                                                rec.alone().getOrDefault(attack, 0L),
                                                chosen.getOrDefault(attack, 0L))));
        return new StrongestFigures(
                id,
                label(first),
                List.copyOf(excluded),
                ok.size(),
                first.<Integer>getAs("votes"),
                fresh,
                Interval.wilson(rec.unbroken(), rec.samples()),
                attacks,
                PublishedFigures.of(rec.experiments()));
    }

    /** One run's recorded majority figure. */
    private record RunCount(String runId, long started, long robust, long n) {}

    /**
     * What the recorded verdicts of the threat setting's runs say.
     *
     * @param runs per attack, its runs
     * @param newest per attack, its newest run's figure
     * @param alone per attack, samples only it broke
     * @param unbroken samples no recorded verdict broke
     * @param samples samples with a row
     * @param experiments the runs' experiment names
     */
    private record Recorded(
            Map<String, Set<String>> runs,
            Map<String, RunCount> newest,
            Map<String, Long> alone,
            long unbroken,
            long samples,
            Set<String> experiments) {}

    private static Recorded recorded(SparkSession spark, Row pass, List<String> excluded) {
        Column where = functions.col("error").isNull();
        for (String c : THREAT) {
            where = where.and(functions.col(c).eqNullSafe(functions.lit(pass.getAs(c))));
        }
        if (!excluded.isEmpty()) {
            where = where.and(functions.not(functions.col("run_id").isin(excluded.toArray())));
        }
        Dataset<Row> runs =
                spark.table(ReportTables.RUNS).selectExpr("run_id AS r_run_id", "started");
        Dataset<Row> rows =
                spark.table(ReportTables.VIEWS.samples())
                        .where(where)
                        .select(
                                "run_id",
                                "attack",
                                "experiment",
                                "sample_id",
                                "adversarial_correct",
                                "votes");
        Map<String, Set<String>> runsOf = new TreeMap<>();
        Map<String, RunCount> counts = new HashMap<>();
        Map<Long, Set<String>> breakers = new HashMap<>();
        Set<String> experiments = new TreeSet<>();
        for (Row r :
                rows.join(runs, rows.col("run_id").equalTo(runs.col("r_run_id")), "left_outer")
                        .collectAsList()) {
            String attack = r.getAs("attack");
            String run = r.getAs("run_id");
            experiments.add(r.getAs("experiment"));
            runsOf.computeIfAbsent(attack, k -> new TreeSet<>()).add(run);
            boolean robust =
                    2 * r.<Integer>getAs("adversarial_correct") > r.<Integer>getAs("votes");
            java.sql.Timestamp t = r.getAs("started");
            counts.merge(
                    attack + "\u0000" + run,
                    new RunCount(run, t == null ? 0 : t.getTime(), robust ? 1 : 0, 1),
                    (a, b) ->
                            new RunCount(
                                    a.runId(),
                                    a.started(),
                                    a.robust() + b.robust(),
                                    a.n() + b.n()));
            Set<String> by = breakers.computeIfAbsent(r.getAs("sample_id"), k -> new TreeSet<>());
            if (!robust) {
                by.add(attack);
            }
        }
        Map<String, RunCount> newest = new TreeMap<>();
        counts.forEach(
                (key, c) ->
                        newest.merge(
                                key.substring(0, key.indexOf('\u0000')),
                                c,
                                (a, b) ->
                                        a.started() > b.started()
                                                        || a.started() == b.started()
                                                                && a.runId().compareTo(b.runId())
                                                                        > 0
                                                ? a
                                                : b));
        Map<String, Long> alone = new TreeMap<>();
        breakers.values().stream()
                .filter(b -> b.size() == 1)
                .forEach(b -> alone.merge(b.iterator().next(), 1L, Long::sum));
        long unbroken = breakers.values().stream().filter(Set::isEmpty).count();
        return new Recorded(runsOf, newest, alone, unbroken, breakers.size(), experiments);
    }

    private static String label(Row r) {
        return String.format(
                Locale.ROOT,
                "%s %s, %s t*=%s (%d steps), %s, %s, %s",
                r.<String>getAs("norm"),
                Setting.epsText(r.<Double>getAs("eps")),
                r.<String>getAs("purifier"),
                Setting.trim(r.<Double>getAs("t_star")),
                r.<Integer>getAs("steps"),
                r.<String>getAs("dataset"),
                r.<String>getAs("classifier"),
                r.<String>getAs("score_model"));
    }
}
