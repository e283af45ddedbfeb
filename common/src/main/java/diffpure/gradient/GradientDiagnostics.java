package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Measurements a gradient mode makes while it works.
 *
 * @param peakLiveElements largest number of tensor elements held by the mode's own scope during the
 *     backward sweep (stored states, the adjoint vector, one step's temporaries; a view counts its
 *     own elements): what the memory claims are tested on
 * @param modelForwards score-model forward evaluations
 * @param modelBackwards score-model vector-Jacobian products
 * @param reconstructionError adjoint only: ||y0_reconstructed - y0|| / ||y0|| over all rows of the
 *     call, else NaN
 * @param rowReconstructionErrors adjoint only: the same per row (row r: ||y0_reconstructed_r -
 *     y0_r|| / ||y0_r||), in row order; empty for the other modes
 */
public record GradientDiagnostics(
        long peakLiveElements,
        long modelForwards,
        long modelBackwards,
        double reconstructionError,
        double[] rowReconstructionErrors) {

    public GradientDiagnostics {
        rowReconstructionErrors =
                rowReconstructionErrors == null ? new double[0] : rowReconstructionErrors.clone();
    }

    /** Diagnostics without per-row reconstruction errors (every mode but adjoint). */
    public GradientDiagnostics(
            long peakLiveElements,
            long modelForwards,
            long modelBackwards,
            double reconstructionError) {
        this(peakLiveElements, modelForwards, modelBackwards, reconstructionError, null);
    }

    /** The per-row reconstruction errors (a copy; empty when the mode measures none). */
    @Override
    public double[] rowReconstructionErrors() {
        return rowReconstructionErrors.clone();
    }

    /** Tensor elements held by a scope now: what {@link #peakLiveElements} takes the maximum of. */
    static long elementsHeld(NDManager scope) {
        long elements = 0;
        for (NDArray a : scope.getManagedArrays()) {
            elements += a.size();
        }
        return elements;
    }

    /**
     * Sum of two diagnostics (micro-batches, this one's rows first): counts add, peaks and errors
     * take the maximum, per-row errors are concatenated in row order.
     */
    public GradientDiagnostics plus(GradientDiagnostics o) {
        double err =
                Double.isNaN(reconstructionError)
                        ? o.reconstructionError
                        : Double.isNaN(o.reconstructionError)
                                ? reconstructionError
                                : Math.max(reconstructionError, o.reconstructionError);
        double[] rows =
                java.util.Arrays.copyOf(
                        rowReconstructionErrors,
                        rowReconstructionErrors.length + o.rowReconstructionErrors.length);
        System.arraycopy(
                o.rowReconstructionErrors,
                0,
                rows,
                rowReconstructionErrors.length,
                o.rowReconstructionErrors.length);
        return new GradientDiagnostics(
                Math.max(peakLiveElements, o.peakLiveElements),
                modelForwards + o.modelForwards,
                modelBackwards + o.modelBackwards,
                err,
                rows);
    }
}
