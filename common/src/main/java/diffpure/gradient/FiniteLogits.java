package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * NaN or Inf logits are a compute failure, never a vote or a success: argmax of a NaN row is an
 * arbitrary class. Every place that turns logits into predictions checks them here first.
 */
public final class FiniteLogits {
    private FiniteLogits() {}

    /**
     * Throws, naming the samples, when logits float32[B, copies, K] hold a NaN or an infinity.
     *
     * @param sampleIds the id of each row, or null to name batch rows
     * @param where what produced the logits, for the message
     * @throws NonFiniteException naming the rows and where
     */
    public static void require(NDArray logits, long[] sampleIds, String where) {
        boolean[] bad;
        try (NDManager scope = NDManager.subManagerOf(logits)) {
            scope.tempAttachAll(logits);
            long b = logits.getShape().get(0);
            NDArray flat = logits.reshape(b, -1);
            NDArray nonFinite = flat.isNaN().logicalOr(flat.isInfinite());
            if (!nonFinite.any().getBoolean()) {
                return;
            }
            bad = nonFinite.toType(DataType.INT32, false).sum(new int[] {1}).gt(0).toBooleanArray();
        }
        StringBuilder rows = new StringBuilder();
        for (int r = 0; r < bad.length; r++) {
            if (bad[r]) {
                rows.append(rows.length() == 0 ? "" : ", ")
                        .append(sampleIds == null ? "batch row " + r : "sample " + sampleIds[r]);
            }
        }
        throw new NonFiniteException(
                "non-finite logits (NaN or Inf) from "
                        + where
                        + " for "
                        + rows
                        + ": a compute failure, never a vote");
    }

    /** Non-finite numbers where finite ones are required: a compute failure. */
    public static final class NonFiniteException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public NonFiniteException(String message) {
            super(message);
        }
    }
}
