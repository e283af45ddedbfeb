package diffpure.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import diffpure.gradient.GradientDiagnostics;
import diffpure.gradient.Objective;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;

/**
 * How far {@code adjoint} gradients are from exact ones on a run's sanity subset, per sample: the
 * cosine between the EOT-averaged input gradients (cross-entropy, at the clean image) of the run's
 * model and of the same model with an exact gradient mode, both taken for the same draw, so with
 * the same noise keys; and the adjoint's reconstruction error of y_0 in that call (largest over the
 * sample's EOT copies). The adjoint gradient is not exact (it reconstructs the chain backwards):
 * these figures say by how much.
 *
 * @param sampleIds the samples, in batch order
 * @param exactMode the mode compared with (exact, or checkpointed where exact does not fit the
 *     memory budget)
 * @param cosine per sample, in [-1, 1]; NaN where either gradient is all zero
 * @param reconstructionError per sample, NaN when the call measured none
 */
public record AdjointAgreement(
        long[] sampleIds, String exactMode, double[] cosine, double[] reconstructionError)
        implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    public AdjointAgreement {
        sampleIds = sampleIds.clone();
        cosine = cosine.clone();
        reconstructionError = reconstructionError.clone();
        if (cosine.length != sampleIds.length || reconstructionError.length != sampleIds.length) {
            throw new IllegalArgumentException(
                    sampleIds.length
                            + " samples but "
                            + cosine.length
                            + " cosines and "
                            + reconstructionError.length
                            + " reconstruction errors");
        }
    }

    /**
     * Measures both models on the same draw.
     *
     * @param adjoint the run's model (gradient mode adjoint)
     * @param exact the same model with an exact gradient mode and the same run seed
     * @param exactMode the exact model's gradient mode, for the record
     * @param draw the draw both gradients use (noise keys: run seed, sample, PURIFY, draw, copy)
     */
    public static AdjointAgreement measure(
            TargetModel adjoint,
            TargetModel exact,
            String exactMode,
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            long draw) {
        int b = sampleIds.length;
        TargetModel.Evaluation a =
                adjoint.lossAndGradient(
                        x, labels, sampleIds, Objective.CROSS_ENTROPY, Purpose.PURIFY, draw);
        TargetModel.Evaluation e =
                exact.lossAndGradient(
                        x, labels, sampleIds, Objective.CROSS_ENTROPY, Purpose.PURIFY, draw);
        float[] ga = host(a.gradient());
        float[] ge = host(e.gradient());
        int per = ga.length / Math.max(b, 1);
        double[] cos = new double[b];
        for (int s = 0; s < b; s++) {
            double dot = 0;
            double na = 0;
            double ne = 0;
            for (int i = s * per; i < (s + 1) * per; i++) {
                dot += (double) ga[i] * ge[i];
                na += (double) ga[i] * ga[i];
                ne += (double) ge[i] * ge[i];
            }
            cos[s] = na == 0 || ne == 0 ? Double.NaN : dot / Math.sqrt(na * ne);
        }
        double[] rec = new double[b];
        java.util.Arrays.fill(rec, Double.NaN);
        GradientDiagnostics d = a.diagnostics();
        double[] rows = d == null ? new double[0] : d.rowReconstructionErrors();
        int copies = adjoint.eot();
        if (rows.length == b * copies) {
            for (int s = 0; s < b; s++) {
                for (int m = 0; m < copies; m++) {
                    double r = rows[s * copies + m];
                    rec[s] = Double.isNaN(rec[s]) ? r : Math.max(rec[s], r);
                }
            }
        }
        return new AdjointAgreement(sampleIds, exactMode, cos, rec);
    }

    private static float[] host(NDArray a) {
        return a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    @Override
    public long[] sampleIds() {
        return sampleIds.clone();
    }

    @Override
    public double[] cosine() {
        return cosine.clone();
    }

    @Override
    public double[] reconstructionError() {
        return reconstructionError.clone();
    }

    /** The smallest cosine (NaN when none is defined). */
    public double cosineMin() {
        double m = Double.NaN;
        for (double c : cosine) {
            if (!Double.isNaN(c)) {
                m = Double.isNaN(m) ? c : Math.min(m, c);
            }
        }
        return m;
    }
}
