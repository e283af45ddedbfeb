package diffpure.eval;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The per-sample accuracies the protocol reports, each a value in [0, 1] per sample whose mean over
 * samples is the accuracy: single, majority, mean, worst and any of the K votes, during-attack (no
 * evaluation was fooled) and averaged-logit (the paper's BPDA metric). Names as in the report and
 * the config ({@code eval.stop-metric}). Each is defined here once, in Java ({@link
 * #clean(SampleOutcome)}, {@link #robust(SampleOutcome)}) and as Spark SQL ({@link #cleanSql},
 * {@link #robustSql}) for the report, {@code diffpure sql} and the notebooks
 * (diffpure.jobs.report.MetricViews); MetricViewsTest checks they agree.
 */
public enum Metric {
    SINGLE("single"),
    MAJORITY("majority"),
    MEAN("mean"),
    WORST("worst"),
    ANY("any"),
    DURING_ATTACK("during-attack"),
    AVERAGED_LOGIT("averaged-logit");

    private final String key;

    Metric(String key) {
        this.key = key;
    }

    /** The name in config and reports. */
    public String key() {
        return key;
    }

    /**
     * The metric named {@code key}.
     *
     * @throws IllegalArgumentException naming the valid keys
     */
    public static Metric of(String key) {
        for (Metric m : values()) {
            if (m.key.equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException(
                "unknown metric \""
                        + key
                        + "\"; one of "
                        + Arrays.stream(values())
                                .map(Metric::key)
                                .collect(Collectors.joining(", ")));
    }

    /**
     * This sample's value on its adversarial image (NaN: averaged-logit not recorded, or
     * during-attack of an attack judged on a surrogate).
     */
    public double robust(SampleOutcome o) {
        return switch (this) {
            case DURING_ATTACK -> !during(o).recorded() ? Double.NaN : during(o).flagged() ? 0 : 1;
            case AVERAGED_LOGIT ->
                    o.votes().hasLogitPredictions()
                            ? (o.adversarialLogitCorrect() ? 1 : 0)
                            : Double.NaN;
            default -> votes(o.votes().adversarial(), o.label());
        };
    }

    /**
     * This sample's value on its clean image (during-attack: none of the matching clean evaluations
     * was wrong).
     */
    public double clean(SampleOutcome o) {
        return switch (this) {
            case DURING_ATTACK ->
                    !during(o).recorded() ? Double.NaN : during(o).cleanFlagged() ? 0 : 1;
            case AVERAGED_LOGIT ->
                    o.votes().hasLogitPredictions() ? (o.cleanLogitCorrect() ? 1 : 0) : Double.NaN;
            default -> votes(o.votes().clean(), o.label());
        };
    }

    private static SampleOutcome.DuringAttack during(SampleOutcome o) {
        return o.attack().duringAttack();
    }

    /** The value of a vote criterion on K votes (single, majority, mean, worst, any). */
    public double votes(int[] votes, int label) {
        return switch (this) {
            case SINGLE -> Votes.single(votes, label) ? 1 : 0;
            case MAJORITY -> Votes.majority(votes, label) ? 1 : 0;
            case MEAN -> Votes.mean(votes, label);
            case WORST -> Votes.worst(votes, label) ? 1 : 0;
            case ANY -> Votes.any(votes, label) ? 1 : 0;
            default ->
                    throw new IllegalArgumentException(key + " is not a criterion on votes alone");
        };
    }

    /**
     * This sample's value on its clean image in Spark SQL over a samples (or rescores) table row: a
     * DOUBLE, NULL where undefined; the same value as {@link #clean(SampleOutcome)} (tested).
     *
     * @param k the column holding K (votes; rescore_votes in the rescores table)
     */
    public String cleanSql(String k) {
        return sql("clean_votes", "clean_correct", "clean_during_fooled", CLEAN_LOGIT_COLUMN, k);
    }

    /** This sample's value on its adversarial image in Spark SQL, as {@link #cleanSql}. */
    public String robustSql(String k) {
        return sql(
                "adversarial_votes",
                "adversarial_correct",
                "during_attack_fooled",
                ROBUST_LOGIT_COLUMN,
                k);
    }

    /**
     * This sample's value at one budget checkpoint in Spark SQL, as {@link #robustSql}: {@code
     * element} is a struct of the samples column {@code budget_checkpoints} (schema 3; fields
     * votes, correct, during_attack_fooled); the same value as {@link BudgetCurve} counts.
     *
     * @throws IllegalArgumentException for averaged-logit, which checkpoints do not record
     */
    public String checkpointSql(String element, String k) {
        if (this == AVERAGED_LOGIT) {
            throw new IllegalArgumentException(
                    "averaged-logit is not recorded at budget checkpoints");
        }
        return sql(
                element + ".votes",
                element + ".correct",
                element + ".during_attack_fooled",
                null,
                k);
    }

    /** The samples column of the clean averaged-logit outcome (schema 2 on). */
    public static final String CLEAN_LOGIT_COLUMN = "clean_logit_correct";

    /** The samples column of the adversarial averaged-logit outcome (schema 2 on). */
    public static final String ROBUST_LOGIT_COLUMN = "adversarial_logit_correct";

    private String sql(String votes, String correct, String duringFooled, String logit, String k) {
        return switch (this) {
            case SINGLE -> "CAST(" + votes + "[0] = label AS DOUBLE)";
            case MAJORITY -> "CAST(" + correct + " * 2 > " + k + " AS DOUBLE)";
            case MEAN -> "CAST(" + correct + " AS DOUBLE) / " + k;
            case WORST -> "CAST(" + correct + " = " + k + " AS DOUBLE)";
            case ANY -> "CAST(" + correct + " > 0 AS DOUBLE)";
            case DURING_ATTACK -> "CAST(" + duringFooled + " = 0 AS DOUBLE)";
            case AVERAGED_LOGIT -> "CAST(" + logit + " AS DOUBLE)";
        };
    }
}
