package diffpure.jobs.store;

import diffpure.eval.CheckpointOutcome;
import diffpure.eval.SampleOutcome;
import diffpure.eval.Votes;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The samples column {@code budget_checkpoints} (schema 3): {@link CheckpointOutcome}s as elements
 * of {@link SamplesTable#CHECKPOINT}, written and read back in the struct's field order.
 */
final class BudgetCheckpoints {
    private BudgetCheckpoints() {}

    /** The elements of one outcome's checkpoints, in order. */
    static Row[] rows(SampleOutcome o) {
        return o.attack().checkpoints().stream()
                .map(
                        c ->
                                RowFactory.create(
                                        c.iteration(),
                                        c.ofIterations(),
                                        Arrays.stream(c.votes()).boxed().toArray(Integer[]::new),
                                        Votes.correct(c.votes(), o.label()),
                                        c.gradients(),
                                        c.forwards(),
                                        recorded(c.evaluations()),
                                        recorded(c.fooled()),
                                        Double.isNaN(c.miss()) ? null : c.miss()))
                .toArray(Row[]::new);
    }

    /** The checkpoints of a row's non-null column, in order. */
    static List<CheckpointOutcome> read(List<Row> elements) {
        return elements.stream()
                .map(
                        c ->
                                new CheckpointOutcome(
                                        c.<Integer>getAs("iteration"),
                                        c.<Long>getAs("of_iterations"),
                                        SampleColumn.ints(c.getList(c.fieldIndex("votes"))),
                                        c.<Long>getAs("gradient_evaluations"),
                                        c.<Long>getAs("forward_evaluations"),
                                        during(c, "during_attack_evaluations"),
                                        during(c, "during_attack_fooled"),
                                        c.isNullAt(c.fieldIndex("miss"))
                                                ? Double.NaN
                                                : c.<Double>getAs("miss")))
                .toList();
    }

    /**
     * A during-attack count as stored: null for {@link SampleOutcome#NOT_RECORDED} (an attack
     * judged on a surrogate made no defence evaluation to count).
     */
    static Long recorded(long count) {
        return count == SampleOutcome.NOT_RECORDED ? null : count;
    }

    /** A during-attack count read back: {@link SampleOutcome#NOT_RECORDED} where null. */
    private static long during(Row r, String field) {
        Long v = r.getAs(field);
        return v == null ? SampleOutcome.NOT_RECORDED : v;
    }
}
