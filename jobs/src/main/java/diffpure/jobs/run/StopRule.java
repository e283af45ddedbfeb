package diffpure.jobs.run;

import java.util.List;

/**
 * Whether a run may stop early, judged on its committed prefix: the chunks committed so far that
 * have no uncommitted chunk before them in plan order (a rule sees the same prefix whatever order
 * concurrent chunks finished in). Once it says stop, no further chunk starts; chunks already
 * running still commit.
 */
@FunctionalInterface
public interface StopRule {
    /** Never stops: every chunk runs. */
    StopRule NEVER = prefix -> false;

    /**
     * Whether to stop.
     *
     * @param prefix the committed chunks in plan order, from chunk 0 (those of earlier calls
     *     included)
     */
    boolean stop(List<Committed> prefix);

    /**
     * A committed chunk.
     *
     * @param chunk the chunk number
     * @param rows rows it wrote (those of earlier calls: as their markers say, or -1 when unknown)
     */
    record Committed(int chunk, long rows) {}
}
