package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import diffpure.model.Classifier;
import diffpure.noise.NoiseSource;
import diffpure.purify.DiffusionPurifier;
import diffpure.torch.PtAutograd;
import java.util.function.IntPredicate;

/**
 * The frame every chain-differentiating mode shares: a scope of its own for everything it keeps (so
 * the tensors it holds can be counted), the classifier head at the purified image, and the maps
 * from the classifier's input gradient to a_N and from the adjoint vector at y_0 back to the input
 * (the purifier's output and input VJPs: 1/2 and 2 sqrt(abar*), through the resizes when it
 * resizes).
 */
abstract class AbstractChainGradient implements GradientMode {

    /** The per-call state handed to {@link #sweep}. */
    protected static final class Sweep {
        final DiffusionPurifier purifier;
        final NDManager scope;
        final NoiseSource noise;
        long peakLive;
        long forwards;
        long backwards;
        double reconstructionError = Double.NaN;

        Sweep(DiffusionPurifier purifier, NDManager scope, NoiseSource noise) {
            this.purifier = purifier;
            this.scope = scope;
            this.noise = noise;
        }

        /** Samples the number of tensor elements this sweep holds. */
        void sampleLive() {
            peakLive = Math.max(peakLive, GradientDiagnostics.elementsHeld(scope));
        }

        /** Counts one model forward when step k uses the model. */
        void countForward(int k) {
            if (purifier.chain().step(k).usesModel()) {
                forwards++;
            }
        }

        void countBackward(int k) {
            if (purifier.chain().step(k).usesModel()) {
                forwards++;
                backwards++;
            }
        }
    }

    /** What a forward sweep hands to the backward sweep. */
    protected interface ForwardResult {
        /** y_N, owned by the sweep's scope. */
        NDArray last();
    }

    @Override
    public final RowGradient compute(
            DiffusionPurifier purifier,
            Classifier classifier,
            Objective objective,
            NDArray x,
            NDArray labels,
            NoiseSource noise) {
        try (NDManager scope = NDManager.subManagerOf(x);
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            Sweep sweep = new Sweep(purifier, scope, noise);
            NDArray xs = x.duplicate();
            xs.attach(scope);
            ForwardResult fwd = forward(sweep, xs);
            NDArray purified = purifier.output(fwd.last());
            ClassifierHead.Result head =
                    ClassifierHead.lossAndGradient(classifier, objective, purified, labels);
            purified.close();
            NDArray aN = purifier.outputVjp(head.inputGradient());
            head.inputGradient().close();
            NDArray a0 = backward(sweep, fwd, aN);
            NDArray g = purifier.inputVjp(a0);
            GradientDiagnostics diag =
                    new GradientDiagnostics(
                            sweep.peakLive,
                            sweep.forwards,
                            sweep.backwards,
                            sweep.reconstructionError);
            NDManager out = x.getManager();
            return new RowGradient(
                    attach(head.loss(), out), attach(head.logits(), out), attach(g, out), diag);
        }
    }

    /**
     * Runs the chain from the input without a graph, keeping what the backward sweep needs in
     * sweep.scope.
     */
    protected abstract ForwardResult forward(Sweep sweep, NDArray x);

    /** Sweeps the adjoint vector from a_N = dL/dy_N down to a_0 = dL/dy_0. */
    protected abstract NDArray backward(Sweep sweep, ForwardResult forward, NDArray aN);

    /**
     * The states a forward sweep kept, in order of k, as rows of one contiguous tensor, and the
     * final state y_N.
     */
    protected record Kept(NDArray store, int count, NDArray last) {
        /** Kept state i, a view into the store: close it when done, the store stays. */
        NDArray state(int i) {
            return store.get(i);
        }
    }

    /**
     * Runs y_0 = diffuse(x), y_{k+1} = step(k, y_k) without a graph, copying y_k into the store
     * where {@code keep} says so and closing every intermediate state as soon as the next exists.
     *
     * <p>One allocation for all kept states: kept tensors allocated one by one between each step's
     * short-lived temporaries pinned the CPU allocator's heap (measured with the demo models at N =
     * 1000, 4 rows: 225 MiB resident for 12.5 MiB of states; with the store, the states' bytes).
     */
    protected static Kept forwardSweep(Sweep sweep, NDArray x, IntPredicate keep) {
        DiffusionPurifier p = sweep.purifier;
        int n = p.chain().length();
        int count = 0;
        for (int k = 0; k < n; k++) {
            count += keep.test(k) ? 1 : 0;
        }
        NDArray y = p.diffuse(x, sweep.noise);
        NDArray store = sweep.scope.zeros(new Shape(count).addAll(y.getShape()), y.getDataType());
        int i = 0;
        for (int k = 0; k < n; k++) {
            if (keep.test(k)) {
                store.set(new NDIndex(i++), y);
            }
            NDArray next = p.step(k, y, sweep.noise);
            sweep.countForward(k);
            y.close();
            y = next;
        }
        return new Kept(store, count, y);
    }

    /** Moves an array to another manager and returns it, for fluent hand-over. */
    static NDArray attach(NDArray a, NDManager m) {
        a.attach(m);
        return a;
    }
}
