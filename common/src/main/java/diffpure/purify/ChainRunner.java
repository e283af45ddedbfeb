package diffpure.purify;

import ai.djl.ndarray.NDArray;
import diffpure.noise.NoiseSource;
import java.util.Arrays;

/**
 * The one loop over a purifier's reverse chain: y_{k+1} = step(k, y_k) for k = from .. to - 1, each
 * step shown to the observers (an integrator and its step handlers, as in Commons Math). The
 * purification and every gradient mode walk the chain through it and differ only in what their
 * observers keep.
 *
 * <p>A runner steps in whatever grad mode the thread is in. Without a graph, {@link #run} closes
 * each state as soon as the next exists; under autograd, {@link #runKeepingStates} closes none.
 * Immutable; {@link #observedBy} returns a new runner.
 */
public final class ChainRunner {
    private final DiffusionPurifier purifier;
    private final NoiseSource noise;
    private final StepObserver[] observers;

    private ChainRunner(DiffusionPurifier purifier, NoiseSource noise, StepObserver[] observers) {
        this.purifier = purifier;
        this.noise = noise;
        this.observers = observers;
    }

    /** A runner over the purifier's chain that draws the step noise from {@code noise}. */
    public static ChainRunner over(DiffusionPurifier purifier, NoiseSource noise) {
        return new ChainRunner(purifier, noise, new StepObserver[0]);
    }

    /** This runner with one more observer, called after the ones added before it. */
    public ChainRunner observedBy(StepObserver observer) {
        StepObserver[] more = Arrays.copyOf(observers, observers.length + 1);
        more[observers.length] = observer;
        return new ChainRunner(purifier, noise, more);
    }

    /**
     * Walks steps from .. to - 1 starting at y = y_from and returns y_to, closing every state it
     * leaves (y_from included) once the observers have seen the step that leaves it. With from ==
     * to it returns y itself.
     *
     * @throws IllegalArgumentException unless 0 &lt;= from &lt;= to &lt;= the chain's length
     */
    public NDArray run(int from, int to, NDArray y) {
        return walk(from, to, y, true);
    }

    /**
     * As {@link #run}, but closes no state: for a walk under autograd, whose graph refers to every
     * intermediate.
     */
    public NDArray runKeepingStates(int from, int to, NDArray y) {
        return walk(from, to, y, false);
    }

    private NDArray walk(int from, int to, NDArray y, boolean closeStates) {
        int n = purifier.chain().length();
        if (from < 0 || from > to || to > n) {
            throw new IllegalArgumentException(
                    "steps " + from + " .. " + to + " are not within the chain's " + n + " steps");
        }
        for (StepObserver o : observers) {
            o.start(from, y);
        }
        for (int k = from; k < to; k++) {
            NDArray next = purifier.step(k, y, noise);
            for (StepObserver o : observers) {
                o.step(k, y, next);
            }
            if (closeStates) {
                y.close();
            }
            y = next;
        }
        return y;
    }
}
