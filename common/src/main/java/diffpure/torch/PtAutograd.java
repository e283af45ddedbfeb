package diffpure.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Input gradients without DJL's {@code GradientCollector}, which allows one collector per JVM while
 * Spark runs several tasks per executor JVM. libtorch's grad mode is thread-local, so each thread
 * switches it for itself with {@link #enabled()} / {@link #disabled()} scopes and calls {@link
 * #backward} directly.
 */
public final class PtAutograd {
    private PtAutograd() {}

    /** A scope that restores the thread's previous grad mode when closed. */
    public static final class Mode implements AutoCloseable {
        private final boolean previous;

        private Mode(boolean enable) {
            previous = JniUtils.isGradMode();
            JniUtils.setGradMode(enable);
        }

        @Override
        public void close() {
            JniUtils.setGradMode(previous);
        }
    }

    /** Records a graph for operations on this thread until closed. */
    public static Mode enabled() {
        return new Mode(true);
    }

    /** Records nothing on this thread until closed. */
    public static Mode disabled() {
        return new Mode(false);
    }

    /** A leaf copy of {@code x} (same manager) that gradients will be accumulated into. */
    public static NDArray leaf(NDArray x) {
        NDArray copy = x.duplicate();
        copy.setRequiresGradient(true);
        return copy;
    }

    /**
     * Back-propagates the vector {@code seed} (same shape as {@code output}) through the graph that
     * produced {@code output}, freeing the graph. Leaves then hold seed^T d output / d leaf.
     */
    public static void backward(NDArray output, NDArray seed) {
        JniUtils.backward((PtNDArray) output, (PtNDArray) seed, false, false);
    }

    /** The gradient accumulated in a leaf. */
    public static NDArray gradientOf(NDArray leaf) {
        NDArray g = leaf.getGradient();
        if (g == null) {
            throw new IllegalStateException(
                    "no gradient reached the input: is it connected to the output?");
        }
        return g;
    }
}
