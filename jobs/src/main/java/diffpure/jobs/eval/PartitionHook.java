package diffpure.jobs.eval;

import java.io.Serializable;
import java.util.List;

/**
 * Called on the executor before a task computes a planned partition: how tests inject failures or
 * delays into chosen task attempts without a product setting. The job's default does nothing.
 */
@FunctionalInterface
public interface PartitionHook extends Serializable {
    /** Does nothing. */
    PartitionHook NONE = (work, attempt) -> {};

    /**
     * Runs before partition work is computed in task attempt attempt; throwing fails the attempt.
     */
    void before(PartitionWork work, int attempt);

    /**
     * Runs inside the computation of a batch of task attempt attempt, after its samples were read:
     * throwing here is a compute failure of that batch (tests of error accounting). Does nothing by
     * default.
     */
    default void duringBatch(List<SampleRef> batch, int attempt) {}
}
