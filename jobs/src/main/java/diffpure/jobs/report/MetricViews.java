package diffpure.jobs.report;

import diffpure.eval.Metric;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;

/**
 * The accuracy metrics as Spark SQL views, generated from {@link Metric} (their one definition):
 * {@code sample_outcomes} (one row per sample row: the setting, ok, and each metric's value on the
 * clean and the adversarial image, NULL on error rows) and {@code accuracy} (per run, setting, side
 * and metric: successes, samples and accuracy; Wilson intervals come from the first two). The
 * report, {@code diffpure sql} and the notebooks register the same text: {@code
 * notebooks/metric_views.sql} is {@link #file()}, checked by a test.
 */
public final class MetricViews {
    /** Columns older samples tables lack; registration reads them as NULL of this type. */
    static final List<String[]> LATER_COLUMNS =
            List.of(
                    new String[] {Metric.CLEAN_LOGIT_COLUMN, "BOOLEAN"},
                    new String[] {Metric.ROBUST_LOGIT_COLUMN, "BOOLEAN"});

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

    private MetricViews() {}

    /** Clean images or adversarial ones. */
    enum Side {
        /** The clean images. */
        CLEAN("clean"),
        /** The adversarial images. */
        ROBUST("robust");

        private final String key;

        Side(String key) {
            this.key = key;
        }

        /** "clean" or "robust", as in the views and the report. */
        String key() {
            return key;
        }

        /** The metrics reported for this side, in report order (any of K only for robust). */
        List<Metric> metrics() {
            List<Metric> m =
                    new ArrayList<>(
                            List.of(
                                    Metric.SINGLE,
                                    Metric.MAJORITY,
                                    Metric.MEAN,
                                    Metric.WORST,
                                    Metric.DURING_ATTACK));
            if (this == ROBUST) {
                m.add(Metric.ANY);
            }
            m.add(Metric.AVERAGED_LOGIT);
            return m;
        }

        /** A metric's per-row SQL on this side. */
        String sql(Metric m, String k) {
            return this == CLEAN ? m.cleanSql(k) : m.robustSql(k);
        }

        /** A metric's column on this side: clean_single, robust_during_attack, ... */
        String column(Metric m) {
            return key + "_" + m.key().replace('-', '_');
        }

        /** The side named {@code key}. */
        static Side of(String key) {
            return key.equals(CLEAN.key) ? CLEAN : ROBUST;
        }
    }

    /**
     * The views' names.
     *
     * @param samples the samples view read
     * @param outcomes the per-sample view made
     * @param accuracy the aggregated view made
     */
    record Names(String samples, String outcomes, String accuracy) {
        /** The names {@code diffpure sql} and the notebooks use. */
        static final Names PUBLIC = new Names("samples", "sample_outcomes", "accuracy");

        Names {
            for (String n : List.of(samples, outcomes, accuracy)) {
                if (!IDENTIFIER.matcher(n).matches()) {
                    throw new IllegalArgumentException("not a view name: '" + n + "'");
                }
            }
        }
    }

    /** The CREATE VIEW statements over a samples view. */
    static List<String> statements(Names n) {
        String key = "run_id, " + String.join(", ", Setting.COLUMNS);
        StringBuilder outcomes =
                new StringBuilder("CREATE OR REPLACE TEMP VIEW ")
                        .append(n.outcomes())
                        .append(" AS\nSELECT ")
                        .append(key)
                        .append(", sample_id, label, error IS NULL AS ok");
        List<String> stack = new ArrayList<>();
        for (Side side : Side.values()) {
            for (Metric m : side.metrics()) {
                outcomes.append(",\n       IF(error IS NULL, ")
                        .append(side.sql(m, "votes"))
                        .append(", NULL) AS ")
                        .append(side.column(m));
                stack.add("'" + side.key() + "', '" + m.key() + "', " + side.column(m));
            }
        }
        outcomes.append("\nFROM ").append(n.samples());
        String accuracy =
                "CREATE OR REPLACE TEMP VIEW "
                        + n.accuracy()
                        + " AS\nSELECT "
                        + key
                        + ", side, metric,\n"
                        + "       coalesce(sum(value), 0D) AS successes, count(value) AS samples,"
                        + " avg(value) AS accuracy\n"
                        + "FROM "
                        + n.outcomes()
                        + "\nLATERAL VIEW stack("
                        + stack.size()
                        + ",\n    "
                        + String.join(",\n    ", stack)
                        + ") s AS side, metric, value\n"
                        + "GROUP BY "
                        + key
                        + ", side, metric";
        return List.of(outcomes.toString(), accuracy);
    }

    /** The text of {@code notebooks/metric_views.sql}. */
    public static String file() {
        StringBuilder b = new StringBuilder();
        b.append(
                        "-- The accuracy metrics of diffpure-spark as Spark SQL views over the view `samples`,\n")
                .append("-- generated from their one definition (diffpure.eval.Metric) by\n")
                .append("-- diffpure.jobs.report.MetricViews; `diffpure sql`, the report and\n")
                .append("-- notebooks/diffpure_session.py register exactly these statements\n")
                .append("-- (MetricViewsTest checks this file and that all give equal numbers).\n")
                .append(
                        "-- Older samples tables lack some columns: where `samples` has no such column,\n")
                .append("-- replace the word by CAST(NULL AS type) in the statements.\n");
        for (String[] c : LATER_COLUMNS) {
            b.append("-- later-column: ").append(c[0]).append(' ').append(c[1]).append('\n');
        }
        for (String s : statements(Names.PUBLIC)) {
            b.append('\n').append(s).append(";\n");
        }
        return b.toString();
    }

    /** Registers the public views over the already registered view {@code samples}. */
    public static void register(SparkSession spark) {
        register(spark, Names.PUBLIC);
    }

    static void register(SparkSession spark, Names n) {
        List<String> cols = Arrays.asList(spark.table(n.samples()).columns());
        for (String s : statements(n)) {
            spark.sql(withoutLaterColumns(s, cols));
        }
    }

    /** A statement with each later column the table lacks read as a typed NULL. */
    static String withoutLaterColumns(String statement, List<String> columns) {
        String s = statement;
        for (String[] c : LATER_COLUMNS) {
            if (!columns.contains(c[0])) {
                s = s.replaceAll("\\b" + c[0] + "\\b", "CAST(NULL AS " + c[1] + ")");
            }
        }
        return s;
    }
}
