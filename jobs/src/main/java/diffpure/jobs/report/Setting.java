package diffpure.jobs.report;

import diffpure.jobs.store.SamplesTable;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * An experiment setting: the columns that identify an attack setting in the samples table (a run
 * may hold several, e.g. an eps sweep), plus the data set.
 *
 * @param dataset data set format
 * @param attack attack name
 * @param norm threat model
 * @param eps radius
 * @param purifier purifier kind
 * @param tStar diffusion time
 * @param steps reverse steps
 * @param classifier classifier name
 * @param scoreModel score model name
 * @param votes K
 */
public record Setting(
        String dataset,
        String attack,
        String norm,
        double eps,
        String purifier,
        double tStar,
        int steps,
        String classifier,
        String scoreModel,
        int votes)
        implements java.io.Serializable {

    /** The columns, in record order. */
    public static final List<String> COLUMNS =
            SamplesTable.names(
                    SamplesTable.DATASET,
                    SamplesTable.ATTACK,
                    SamplesTable.NORM,
                    SamplesTable.EPS,
                    SamplesTable.PURIFIER,
                    SamplesTable.T_STAR,
                    SamplesTable.STEPS,
                    SamplesTable.CLASSIFIER,
                    SamplesTable.SCORE_MODEL,
                    SamplesTable.VOTES);

    /** The setting of a row that has the {@link #COLUMNS}. */
    public static Setting of(Row r) {
        return new Setting(
                SamplesTable.DATASET.of(r),
                SamplesTable.ATTACK.of(r),
                SamplesTable.NORM.of(r),
                SamplesTable.EPS.of(r),
                SamplesTable.PURIFIER.of(r),
                SamplesTable.T_STAR.of(r),
                SamplesTable.STEPS.of(r),
                SamplesTable.CLASSIFIER.of(r),
                SamplesTable.SCORE_MODEL.of(r),
                SamplesTable.VOTES.of(r));
    }

    /** A filter selecting this setting's rows (null-safe equality on every column). */
    public Column filter() {
        Object[] v = {
            dataset, attack, norm, eps, purifier, tStar, steps, classifier, scoreModel, votes
        };
        Column c = functions.lit(true);
        for (int i = 0; i < v.length; i++) {
            c = c.and(functions.col(COLUMNS.get(i)).eqNullSafe(functions.lit(v[i])));
        }
        return c;
    }

    /** The same setting with another eps (for sweep curves, which vary one column). */
    public Setting withEps(double e) {
        return new Setting(
                dataset, attack, norm, e, purifier, tStar, steps, classifier, scoreModel, votes);
    }

    /** The same setting with another t*. */
    public Setting withTStar(double t) {
        return new Setting(
                dataset, attack, norm, eps, purifier, t, steps, classifier, scoreModel, votes);
    }

    /** Eps as people write it: "8/255" when it is a multiple of 1/255, else the number. */
    public static String epsText(double eps) {
        double k = eps * 255;
        if (eps > 0 && Math.abs(k - Math.rint(k)) < 1e-6) {
            return (long) Math.rint(k) + "/255";
        }
        return String.format(Locale.ROOT, "%.4g", eps);
    }

    /** A one-line human label. */
    public String label() {
        return String.format(
                Locale.ROOT,
                "%s %s %s, %s t*=%s (%d steps), %s, %s, K=%d",
                attack,
                norm,
                epsText(eps),
                purifier,
                trim(tStar),
                steps,
                dataset,
                classifier,
                votes);
    }

    /** A short label for chart axes. */
    public String shortLabel() {
        return String.format(
                Locale.ROOT, "%s %s %s t*=%s", attack, norm, epsText(eps), trim(tStar));
    }

    /**
     * A file-name-safe id, unique per setting: letters, digits, '.', '_' and '-' only, at most
     * {@value UntrustedText#MAX_NAME} characters ({@link UntrustedText#fileName}).
     */
    public String slug() {
        String s =
                String.format(
                        Locale.ROOT,
                        "%s_%s_%s_%s_%s_eps%s_%s_t%s_n%d_k%d",
                        dataset,
                        classifier,
                        scoreModel,
                        attack,
                        norm,
                        trim(eps),
                        purifier,
                        trim(tStar),
                        steps,
                        votes);
        return UntrustedText.fileName(s);
    }

    static String trim(double d) {
        String s = String.format(Locale.ROOT, "%.6f", d).replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
