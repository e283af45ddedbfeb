package diffpure.eval;

import ai.djl.ndarray.NDArray;
import diffpure.gradient.DeviationLoss;
import diffpure.gradient.GradientDiagnostics;
import diffpure.gradient.Objective;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import java.util.HashMap;
import java.util.Map;

/**
 * Passes every call on to a model whose gradient mode reconstructs the chain backwards ({@code
 * adjoint}) and keeps, per sample id, the largest reconstruction error of y_0 over the gradient
 * calls that included the sample (every EOT copy: {@link
 * GradientDiagnostics#rowReconstructionErrors()}). What a result row of an adjoint attack reports
 * as {@code adjoint_reconstruction_error}. Confined to one batch's evaluation (not thread-safe).
 */
final class ReconstructionErrors implements TargetModel {
    private final TargetModel model;
    private final Map<Long, Double> largest = new HashMap<>();

    ReconstructionErrors(TargetModel model) {
        this.model = model;
    }

    /** The largest error recorded for a sample, NaN when no gradient call measured one. */
    double of(long sampleId) {
        return largest.getOrDefault(sampleId, Double.NaN);
    }

    @Override
    public Evaluation lossAndGradient(
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            Objective objective,
            Purpose purpose,
            long draw) {
        Evaluation e = model.lossAndGradient(x, labels, sampleIds, objective, purpose, draw);
        double[] rows =
                e.diagnostics() == null ? new double[0] : e.diagnostics().rowReconstructionErrors();
        int copies = model.eot();
        if (rows.length == sampleIds.length * copies) {
            // Copy m of sample b is row b * eot + m (DefendedModel).
            for (int b = 0; b < sampleIds.length; b++) {
                for (int m = 0; m < copies; m++) {
                    largest.merge(sampleIds[b], rows[b * copies + m], Math::max);
                }
            }
        }
        return e;
    }

    @Override
    public NDArray logits(NDArray x, long[] sampleIds, Purpose purpose, long draw, int copies) {
        return model.logits(x, sampleIds, purpose, draw, copies);
    }

    /**
     * Refuses a deviation term: the modes that reconstruct the chain backwards cannot carry its
     * gradient (the model's own refusal names the mode).
     */
    @Override
    public TargetModel withDeviation(DeviationLoss deviation) {
        if (deviation.isOff()) {
            return this;
        }
        model.withDeviation(deviation);
        throw new IllegalArgumentException(
                "attack.deviation-weight: reconstruction errors are recorded for gradient modes"
                        + " that cannot carry the deviation term");
    }

    @Override
    public int classes() {
        return model.classes();
    }

    @Override
    public int eot() {
        return model.eot();
    }

    @Override
    public boolean isRandomized() {
        return model.isRandomized();
    }

    @Override
    public String describe() {
        return model.describe();
    }
}
