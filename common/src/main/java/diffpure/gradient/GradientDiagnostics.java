package diffpure.gradient;

/**
 * Measurements a gradient mode makes while it works.
 *
 * @param peakLiveArrays largest number of live tensors held by the mode's own scope during the
 *     backward sweep (stored states, the adjoint vector, one step's temporaries); what the memory
 *     claims are tested on
 * @param modelForwards eps-model forward evaluations
 * @param modelBackwards eps-model vector-Jacobian products
 * @param reconstructionError adjoint only: ||y0_reconstructed - y0|| / ||y0||, else NaN
 */
public record GradientDiagnostics(
        int peakLiveArrays, long modelForwards, long modelBackwards, double reconstructionError) {

    /** Sum of two diagnostics (micro-batches): counts add, peaks and errors take the maximum. */
    public GradientDiagnostics plus(GradientDiagnostics o) {
        double err =
                Double.isNaN(reconstructionError)
                        ? o.reconstructionError
                        : Double.isNaN(o.reconstructionError)
                                ? reconstructionError
                                : Math.max(reconstructionError, o.reconstructionError);
        return new GradientDiagnostics(
                Math.max(peakLiveArrays, o.peakLiveArrays),
                modelForwards + o.modelForwards,
                modelBackwards + o.modelBackwards,
                err);
    }
}
