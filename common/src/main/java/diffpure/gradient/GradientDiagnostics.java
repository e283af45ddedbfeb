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
 * @param reconstructionError adjoint only: ||y0_reconstructed - y0|| / ||y0||, else NaN
 */
public record GradientDiagnostics(
        long peakLiveElements,
        long modelForwards,
        long modelBackwards,
        double reconstructionError) {

    /** Tensor elements held by a scope now: what {@link #peakLiveElements} takes the maximum of. */
    static long elementsHeld(NDManager scope) {
        long elements = 0;
        for (NDArray a : scope.getManagedArrays()) {
            elements += a.size();
        }
        return elements;
    }

    /** Sum of two diagnostics (micro-batches): counts add, peaks and errors take the maximum. */
    public GradientDiagnostics plus(GradientDiagnostics o) {
        double err =
                Double.isNaN(reconstructionError)
                        ? o.reconstructionError
                        : Double.isNaN(o.reconstructionError)
                                ? reconstructionError
                                : Math.max(reconstructionError, o.reconstructionError);
        return new GradientDiagnostics(
                Math.max(peakLiveElements, o.peakLiveElements),
                modelForwards + o.modelForwards,
                modelBackwards + o.modelBackwards,
                err);
    }
}
