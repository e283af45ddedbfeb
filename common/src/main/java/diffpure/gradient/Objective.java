package diffpure.gradient;

import ai.djl.ndarray.NDArray;

/**
 * A per-row loss on logits that attacks maximise. Built from tensor ops so that it is
 * differentiable.
 */
@FunctionalInterface
public interface Objective {
    /**
     * @param logits float32[R, K]
     * @param labels int64 or int32 [R]
     * @return float32[R]
     */
    NDArray perRow(NDArray logits, NDArray labels);

    /** Cross-entropy of the true label. */
    Objective CROSS_ENTROPY =
            (logits, labels) ->
                    logits.logSoftmax(1)
                            .mul(labels.oneHot((int) logits.getShape().get(1)))
                            .sum(new int[] {1})
                            .neg();
}
