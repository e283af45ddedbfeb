package diffpure.eval;

/** What a summary's 95% intervals promise. */
public enum IntervalKind {
    /** Wilson score intervals: valid for a sample count fixed before the run. */
    WILSON,
    /**
     * Betting confidence sequences ({@link ConfidenceSequence}): valid at every sample count at
     * once, so also where the run stopped because an interval looked narrow enough.
     */
    CONFIDENCE_SEQUENCE
}
