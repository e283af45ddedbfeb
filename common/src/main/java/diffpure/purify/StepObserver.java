package diffpure.purify;

import ai.djl.ndarray.NDArray;

/**
 * Watches a {@link ChainRunner} walk the reverse chain, as a step handler watches an integrator in
 * Commons Math: it sees every state and decides what to keep (a copy of some states, a count of
 * model calls). It never changes the walk. The states belong to the runner, which may close them
 * once the walk has moved on, so an observer that keeps one copies it.
 */
@FunctionalInterface
public interface StepObserver {
    /**
     * Before the first step (also when the walk has no step).
     *
     * @param from the index of the first state
     * @param y y_from
     */
    default void start(int from, NDArray y) {}

    /**
     * After step k.
     *
     * @param y y_k
     * @param next y_{k+1}
     */
    void step(int k, NDArray y, NDArray next);
}
