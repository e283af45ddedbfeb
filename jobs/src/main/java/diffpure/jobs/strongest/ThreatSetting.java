package diffpure.jobs.strongest;

import diffpure.jobs.report.Setting;
import diffpure.jobs.store.SamplesTable;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * What every attack of a comparison must share: the data, the score model and the classifier (with
 * their sha256), the purifier setting and the threat model. The attack and K are not part of it: a
 * threat setting's strongest evidence pools every attack run against it. A perceptual bound's
 * network is part of it through the norm column ({@code lpips:<its sha256 prefix>}).
 *
 * @param dataset data set format
 * @param classifier classifier name
 * @param classifierSha256 its sha256
 * @param scoreModel score model name
 * @param scoreModelSha256 its sha256
 * @param purifier purifier kind
 * @param tStar diffusion time
 * @param steps reverse steps
 * @param norm threat model
 * @param eps radius
 */
public record ThreatSetting(
        String dataset,
        String classifier,
        String classifierSha256,
        String scoreModel,
        String scoreModelSha256,
        String purifier,
        double tStar,
        int steps,
        String norm,
        double eps)
        implements Serializable {

    /** The samples columns, in record order. */
    public static final List<String> COLUMNS =
            SamplesTable.names(
                    SamplesTable.DATASET,
                    SamplesTable.CLASSIFIER,
                    SamplesTable.CLASSIFIER_SHA256,
                    SamplesTable.SCORE_MODEL,
                    SamplesTable.SCORE_MODEL_SHA256,
                    SamplesTable.PURIFIER,
                    SamplesTable.T_STAR,
                    SamplesTable.STEPS,
                    SamplesTable.NORM,
                    SamplesTable.EPS);

    /** The threat setting of a row that has the {@link #COLUMNS}. */
    public static ThreatSetting of(Row r) {
        return new ThreatSetting(
                SamplesTable.DATASET.of(r),
                SamplesTable.CLASSIFIER.of(r),
                SamplesTable.CLASSIFIER_SHA256.of(r),
                SamplesTable.SCORE_MODEL.of(r),
                SamplesTable.SCORE_MODEL_SHA256.of(r),
                SamplesTable.PURIFIER.of(r),
                SamplesTable.T_STAR.of(r),
                SamplesTable.STEPS.of(r),
                SamplesTable.NORM.of(r),
                SamplesTable.EPS.of(r));
    }

    /** A filter selecting this threat setting's samples rows (null-safe equality). */
    public Column filter() {
        Object[] v = {
            dataset,
            classifier,
            classifierSha256,
            scoreModel,
            scoreModelSha256,
            purifier,
            tStar,
            steps,
            norm,
            eps
        };
        Column c = functions.lit(true);
        for (int i = 0; i < v.length; i++) {
            c = c.and(functions.col(COLUMNS.get(i)).eqNullSafe(functions.lit(v[i])));
        }
        return c;
    }

    /** A one-line human label. */
    public String label() {
        return String.format(
                Locale.ROOT,
                "%s %s, %s t*=%s (%d steps), %s, %s, %s",
                norm,
                Setting.epsText(eps),
                purifier,
                trim(tStar),
                steps,
                dataset,
                classifier,
                scoreModel);
    }

    /** A stable text of every field, for ids. */
    public String key() {
        return String.join(
                "|",
                dataset,
                classifier,
                String.valueOf(classifierSha256),
                scoreModel,
                String.valueOf(scoreModelSha256),
                purifier,
                trim(tStar),
                String.valueOf(steps),
                norm,
                trim(eps));
    }

    private static String trim(double d) {
        String s = String.format(Locale.ROOT, "%.6f", d).replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
