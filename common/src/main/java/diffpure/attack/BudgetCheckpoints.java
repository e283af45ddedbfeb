package diffpure.attack;

import java.io.Serializable;
import java.util.List;

/**
 * Where an attack records its best iterate so far ({@code attack.budget-checkpoints}): cumulative
 * iteration counts across a composition's members (APGD counts its restarts and targets one after
 * another). At checkpoint b the attack keeps the image its returned-image rule would return had it
 * stopped after iterate b (and the evaluation counts spent by then), so one run gives every metric
 * as a function of the budget. An attack whose schedule depends on its total budget (APGD's
 * step-size checkpoints) makes this "iteration b of a run of N", not a run with budget b.
 *
 * @param at the checkpoints, strictly increasing, each &gt;= 0; empty = off
 * @param offset iterations the composition spent before this member started (0 at top level)
 */
public record BudgetCheckpoints(List<Integer> at, long offset) implements Serializable {
    /** No checkpoints. */
    public static final BudgetCheckpoints NONE = new BudgetCheckpoints(List.of(), 0);

    public BudgetCheckpoints {
        at = List.copyOf(at);
        for (int i = 0; i < at.size(); i++) {
            if (at.get(i) < 0 || i > 0 && at.get(i) <= at.get(i - 1)) {
                throw new IllegalArgumentException(
                        "attack.budget-checkpoints must be strictly increasing iteration counts"
                                + " >= 0, found "
                                + at);
            }
        }
        if (offset < 0) {
            throw new IllegalArgumentException("checkpoint offset must be >= 0, found " + offset);
        }
    }

    /** Checkpoints at these cumulative iteration counts. */
    public static BudgetCheckpoints at(List<Integer> at) {
        return new BudgetCheckpoints(at, 0);
    }

    /** The extra votes per sample the checkpoints cost: K at each (the dry run counts them). */
    public long extraVotes(int votes) {
        return (long) votes * at.size();
    }

    /** Whether any checkpoint is set. */
    public boolean active() {
        return !at.isEmpty();
    }

    /**
     * Fails when checkpoints are set and the attack cannot record them, naming it.
     *
     * @throws IllegalArgumentException then
     */
    public void requireRecordedBy(Attack attack) {
        if (active() && !attack.recordsCheckpoints()) {
            throw new IllegalArgumentException(
                    "attack.budget-checkpoints: "
                            + attack.name()
                            + " does not record budget checkpoints (PGD, APGD and compositions of"
                            + " them do); set attack.budget-checkpoints = []");
        }
    }

    /** The same checkpoints for a member that starts after {@code spent} more iterations. */
    public BudgetCheckpoints after(long spent) {
        return new BudgetCheckpoints(at, offset + spent);
    }
}
