package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.Classifier;
import diffpure.noise.NoiseSource;
import diffpure.purify.ChainRunner;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.StepObserver;
import diffpure.torch.PtAutograd;

/**
 * The frame every chain-differentiating mode shares: a scope of its own for everything it keeps (so
 * the tensors it holds can be counted), the classifier head at the purified image, and the maps
 * from the classifier's input gradient to a_N and from the adjoint vector at y_0 back to the input
 * (the purifier's output and input VJPs: 1/2 and 2 sqrt(abar*), through the resizes when it
 * resizes). The chain is walked by {@link ChainRunner}; a mode is the observer it hangs on the
 * forward sweep and its backward sweep.
 */
abstract class AbstractChainGradient implements GradientMode {

    /** The per-call state handed to {@link #sweep}. */
    protected static final class Sweep {
        final DiffusionPurifier purifier;
        final NDManager scope;
        final NoiseSource noise;

        /** The deviation term of this call; null when off. */
        DeviationTerm deviation;

        long peakLive;
        long forwards;
        long backwards;
        double reconstructionError = Double.NaN;
        double[] rowReconstructionErrors;

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

        /** A runner over the chain that counts the model forwards of the steps it walks. */
        ChainRunner runner() {
            return ChainRunner.over(purifier, noise).observedBy((k, y, next) -> countForward(k));
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
            if (!deviation().isOff()) {
                sweep.deviation = DeviationTerm.start(deviation(), purifier, xs, noise, scope);
            }
            ForwardResult fwd = forward(sweep, xs);
            NDArray purified = purifier.output(fwd.last());
            ClassifierHead.Result head =
                    ClassifierHead.lossAndGradient(classifier, objective, purified, labels);
            NDArray loss = head.loss();
            if (sweep.deviation != null) {
                loss = loss.add(sweep.deviation.sum());
                head.loss().close();
            }
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
                            sweep.reconstructionError,
                            sweep.rowReconstructionErrors);
            NDManager out = x.getManager();
            return new RowGradient(
                    attach(loss, out), attach(head.logits(), out), attach(g, out), diag);
        }
    }

    /**
     * DiffAttack's deviation term this mode adds to the loss; {@link DeviationLoss#OFF} unless the
     * mode carries it ({@link #withDeviation}).
     */
    protected DeviationLoss deviation() {
        return DeviationLoss.OFF;
    }

    /**
     * Runs the chain from the input without a graph, keeping what the backward sweep needs in
     * sweep.scope (and, with a deviation term, summing the term on the way).
     */
    protected abstract ForwardResult forward(Sweep sweep, NDArray x);

    /** Sweeps the adjoint vector from a_N = dL/dy_N down to a_0 = dL/dy_0. */
    protected abstract NDArray backward(Sweep sweep, ForwardResult forward, NDArray aN);

    /**
     * Runs y_0 = diffuse(x), y_{k+1} = step(k, y_k) over the whole chain without a graph, closing
     * every intermediate state as soon as the next exists, with the sweep's model-call counter,
     * {@code keep}, the mode's observer that copies what its backward sweep needs, and the
     * deviation term when there is one. Returns y_N.
     */
    protected static NDArray forwardSweep(Sweep sweep, NDArray x, StepObserver keep) {
        DiffusionPurifier p = sweep.purifier;
        ChainRunner runner = sweep.runner().observedBy(keep);
        if (sweep.deviation != null) {
            runner = runner.observedBy(sweep.deviation);
        }
        return runner.run(0, p.chain().length(), p.diffuse(x, sweep.noise));
    }

    /** Moves an array to another manager and returns it, for fluent hand-over. */
    static NDArray attach(NDArray a, NDManager m) {
        a.attach(m);
        return a;
    }
}
