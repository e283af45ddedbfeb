package diffpure.jobs.eval;

import java.io.Serializable;

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
}
