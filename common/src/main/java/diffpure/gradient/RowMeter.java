package diffpure.gradient;

/**
 * Told the rows a {@link DefendedModel} computes as it computes them (each EOT copy or vote one
 * row, one call per micro-batch): how work that has no per-sample count, such as the
 * gradient-masking checks, reports its progress. Counting changes no result.
 */
@FunctionalInterface
public interface RowMeter {
    /** Counts nothing. */
    RowMeter NONE = (gradientRows, forwardRows) -> {};

    /**
     * After a micro-batch.
     *
     * @param gradientRows rows purified and classified with an input gradient
     * @param forwardRows rows purified and classified without one
     */
    void computed(long gradientRows, long forwardRows);
}
