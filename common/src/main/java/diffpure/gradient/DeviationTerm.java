package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.noise.NoiseSource;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.StepObserver;
import diffpure.sde.ReverseChain;
import diffpure.torch.HostTensors;
import diffpure.torch.PtAutograd;
import java.util.Arrays;

/**
 * {@link DeviationLoss} for one call of a gradient mode: the rows' diffused-input targets x_k and
 * each row's weight at each state. As a {@link StepObserver} hung on the chain's forward walk it
 * sums each row's term (with a graph when the walk has one: {@code backprop}); {@link #addGradient}
 * is the term's gradient at y_k, added to the adjoint vector where the backward walk passes state
 * k.
 */
final class DeviationTerm implements StepObserver {
    private final ReverseChain chain;
    private final NDManager scope;
    private final NDArray centred; // u = 2x - 1 at the model's size, [R, ...], no graph
    private final NDArray eps; // the draw that started the chain, [R, ...]
    private final float[][] weights; // [state][row]: weight times scale, or 0
    private final long elements; // per row
    private NDArray sum; // [R]

    private DeviationTerm(
            ReverseChain chain,
            NDManager scope,
            NDArray centred,
            NDArray eps,
            float[][] weights,
            long elements) {
        this.chain = chain;
        this.scope = scope;
        this.centred = centred;
        this.eps = eps;
        this.weights = weights;
        this.elements = elements;
    }

    /**
     * The term of the rows of x (each row with its own key in {@code noise}) on the purifier's
     * chain, its tensors in {@code scope}.
     *
     * @throws IllegalArgumentException naming attack.deviation-weight when the chain has no state
     *     alpha-bars
     */
    static DeviationTerm start(
            DeviationLoss loss,
            DiffusionPurifier purifier,
            NDArray x,
            NoiseSource noise,
            NDManager scope) {
        ReverseChain chain = purifier.chain();
        int n = chain.length();
        for (int k = 1; k < n; k++) {
            chain.stateAlphaBar(k); // refuses a chain without them before any work
        }
        int rows = (int) x.getShape().get(0);
        NDArray centred;
        try (PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            centred = purifier.centred(x.stopGradient());
        }
        centred.attach(scope);
        NDArray eps = noise.draw(scope, -1, purifier.imageShape());
        float[][] weights = new float[n + 1][rows];
        int states = n - 1;
        if (states > 0) {
            int m = loss.steps();
            if (m == 0 || m >= states) {
                for (int k = 1; k < n; k++) {
                    Arrays.fill(weights[k], (float) loss.weight());
                }
            } else {
                // m of the states per row, uniformly: the m smallest of N - 1 i.i.d. normals drawn
                // from the row's own key.
                float scaled = (float) (loss.weight() * states / m);
                float[] z;
                try (NDArray draws =
                        noise.draw(scope, DeviationLoss.SELECTION_STEP, new Shape(states))) {
                    z = draws.toFloatArray();
                }
                for (int r = 0; r < rows; r++) {
                    Integer[] order = new Integer[states];
                    for (int i = 0; i < states; i++) {
                        order[i] = i;
                    }
                    final int row = r;
                    Arrays.sort(
                            order,
                            (a, b) -> Float.compare(z[row * states + a], z[row * states + b]));
                    for (int i = 0; i < m; i++) {
                        weights[order[i] + 1][r] = scaled;
                    }
                }
            }
        }
        return new DeviationTerm(chain, scope, centred, eps, weights, purifier.imageShape().size());
    }

    /** Row r's weight at state k: weight times (N - 1) / m, or 0 when the row leaves k out. */
    float weightAt(int k, int r) {
        return weights[k][r];
    }

    /** Whether any row's term includes state k. */
    boolean selects(int k) {
        if (k < 1 || k >= chain.length()) {
            return false;
        }
        for (float w : weights[k]) {
            if (w != 0) {
                return true;
            }
        }
        return false;
    }

    /** x_k = sqrt(abar_k) u + sqrt(1 - abar_k) eps, a constant, in y's manager. */
    private NDArray target(int k, NDArray y) {
        double abar = chain.stateAlphaBar(k);
        NDArray signal = centred.mul(Math.sqrt(abar));
        NDArray noise = eps.mul(Math.sqrt(1 - abar));
        NDArray t = signal.add(noise);
        signal.close();
        noise.close();
        t.attach(y.getManager());
        return t;
    }

    /** Row weights of state k, shaped to broadcast over arrays of {@code dims} dimensions. */
    private NDArray weightsOf(int k, NDManager m, int dims) {
        long[] shape = new long[dims];
        Arrays.fill(shape, 1);
        shape[0] = weights[k].length;
        return HostTensors.create(m, weights[k], new Shape(shape));
    }

    /**
     * Row r's term at state k: weight_{r,k} mean((y_k - x_k)^2), float32[R]; differentiable in y
     * when the thread's grad mode is on.
     */
    NDArray valueAt(int k, NDArray y) {
        try (NDManager s = NDManager.subManagerOf(y)) {
            s.tempAttachAll(y);
            NDArray target;
            try (PtAutograd.Mode noGrad = PtAutograd.disabled()) {
                target = target(k, y);
            }
            long rows = y.getShape().get(0);
            NDArray perRow = y.sub(target).square().reshape(rows, -1).mean(new int[] {1});
            return s.ret(perRow.mul(weightsOf(k, s, 1)));
        }
    }

    @Override
    public void step(int k, NDArray y, NDArray next) {
        if (selects(k + 1)) {
            NDArray v = valueAt(k + 1, next);
            v.attach(scope);
            if (sum == null) {
                sum = v;
            } else {
                NDArray s = sum.add(v);
                s.attach(scope);
                sum.close();
                v.close();
                sum = s;
            }
        }
    }

    /**
     * Each row's term summed over the states the walk has shown this observer (zeros when none),
     * float32[R] in the term's scope.
     */
    NDArray sum() {
        if (sum == null) {
            sum = scope.zeros(new Shape(weights[0].length));
        }
        return sum;
    }

    /**
     * a + d term / d y_k = a + 2 weight_{r,k} (y_k - x_k) / D for D elements per row, for a state k
     * that {@link #selects}. The result attaches to a's manager; a and y stay open.
     */
    NDArray addGradient(int k, NDArray y, NDArray a) {
        try (NDManager s = NDManager.subManagerOf(a);
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            s.tempAttachAll(a);
            NDArray target = target(k, y);
            target.attach(s);
            NDArray diff = y.sub(target);
            diff.attach(s);
            NDArray g =
                    diff.mul(weightsOf(k, s, (int) y.getShape().dimension())).mul(2.0 / elements);
            return s.ret(a.add(g));
        }
    }
}
