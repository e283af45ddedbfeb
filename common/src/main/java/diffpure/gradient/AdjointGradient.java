package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.StepObserver;

/**
 * Constant memory, in the spirit of the paper's adjoint method: only y_N (and y_0, for the
 * diagnostic) is kept. The backward sweep evaluates eps and its vector-Jacobian product at the
 * reconstructed y_{k+1}, reconstructs y_k = (y_{k+1} - d eps - s z_k) / c with the same noise z_k,
 * and moves the adjoint vector with the Jacobian at y_{k+1} in place of y_k. One model
 * forward-and-backward per step, as for {@code exact}.
 *
 * <p>Not exact: the reconstruction drifts where the score's Jacobian is large (t near 0). The drift
 * is measured ({@link GradientDiagnostics#reconstructionError()}, per row {@link
 * GradientDiagnostics#rowReconstructionErrors()}), and a non-finite state or adjoint vector is an
 * {@link ArithmeticException} naming the step, never a silently returned gradient.
 */
public final class AdjointGradient extends AbstractChainGradient {

    private record Ends(NDArray first, NDArray last) implements ForwardResult {}

    @Override
    protected ForwardResult forward(Sweep sweep, NDArray x) {
        FirstState first = new FirstState();
        NDArray last = forwardSweep(sweep, x, first);
        return new Ends(first.copy, last);
    }

    /** Keeps a copy of the walk's first state, y_0, for the reconstruction error. */
    private static final class FirstState implements StepObserver {
        private NDArray copy;

        @Override
        public void start(int from, NDArray y) {
            copy = y.duplicate();
        }

        @Override
        public void step(int k, NDArray y, NDArray next) {}
    }

    @Override
    protected NDArray backward(Sweep sweep, ForwardResult forward, NDArray aN) {
        DiffusionPurifier p = sweep.purifier;
        Ends ends = (Ends) forward;
        NDArray y = ends.last().duplicate();
        NDArray a = aN;
        for (int k = p.chain().length() - 1; k >= 0; k--) {
            sweep.sampleLive();
            DiffusionPurifier.StepBackward b = p.stepVjpAndNoise(k, y, a);
            sweep.countBackward(k);
            NDArray prevY = p.invertStep(k, y, b.eps(), sweep.noise);
            if (b.eps() != null) {
                b.eps().close();
            }
            a.close();
            y.close();
            a = b.vjp();
            y = prevY;
            checkFinite(a, "adjoint vector", k);
            checkFinite(y, "reconstructed state", k);
        }
        sweep.sampleLive();
        try (NDManager scope = NDManager.subManagerOf(y)) {
            scope.tempAttachAll(y, ends.first());
            double norm0 = ends.first().norm().getFloat();
            NDArray diff = y.sub(ends.first());
            sweep.reconstructionError = diff.norm().getFloat() / Math.max(norm0, Float.MIN_NORMAL);
            // Per row (one EOT copy of one image): what its result row reports.
            long rows = y.getShape().get(0);
            float[] num = diff.reshape(rows, -1).norm(new int[] {1}).toFloatArray();
            float[] den = ends.first().reshape(rows, -1).norm(new int[] {1}).toFloatArray();
            sweep.rowReconstructionErrors = new double[(int) rows];
            for (int r = 0; r < rows; r++) {
                sweep.rowReconstructionErrors[r] = num[r] / Math.max(den[r], Float.MIN_NORMAL);
            }
        }
        y.close();
        ends.first().close();
        ends.last().close();
        return a;
    }

    private static void checkFinite(NDArray v, String what, int step) {
        float sum;
        try (NDManager scope = NDManager.subManagerOf(v)) {
            scope.tempAttachAll(v);
            sum = v.abs().sum().getFloat();
        }
        if (!Float.isFinite(sum)) {
            throw new ArithmeticException(
                    "adjoint gradient: "
                            + what
                            + " became non-finite at reverse step "
                            + step
                            + " (reconstruction unstable near t -> 0; use gradient mode exact or checkpointed)");
        }
    }

    @Override
    public String name() {
        return "adjoint";
    }
}
