package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import diffpure.purify.DiffusionPurifier;

/**
 * Discretise-then-optimise with stored states: the exact gradient of what the forward pass
 * computed.
 *
 * <p>The forward sweep keeps every {@code interval}-th state y_k (no activations); the backward
 * sweep rebuilds the states of one segment at a time from its checkpoint and takes one
 * vector-Jacobian product per step at y_k (never y_{k+1}): a_k = c_k a_{k+1} + d_k J_eps(y_k,
 * t_k)^T a_{k+1}. Interval 1 is the {@code exact} mode (N stored states, no recomputation);
 * interval about sqrt(N) is {@code checkpointed} (O(sqrt N) states for one extra forward sweep).
 * With DiffAttack's deviation term ({@link #withDeviation}) the term's gradient at y_k is added to
 * a_k as the sweep passes state k.
 */
public final class StoredStatesGradient extends AbstractChainGradient {
    private final int interval;
    private final String name;
    private final DeviationLoss deviation;

    private StoredStatesGradient(int interval, String name, DeviationLoss deviation) {
        this.interval = interval;
        this.name = name;
        this.deviation = deviation;
    }

    private StoredStatesGradient(int interval, String name) {
        this(interval, name, DeviationLoss.OFF);
    }

    /** The same mode adding DiffAttack's deviation term at the states it walks back through. */
    @Override
    public StoredStatesGradient withDeviation(DeviationLoss d) {
        return new StoredStatesGradient(interval, name, d);
    }

    @Override
    protected DeviationLoss deviation() {
        return deviation;
    }

    /** Every state stored. */
    public static StoredStatesGradient exact() {
        return new StoredStatesGradient(1, "exact");
    }

    /** A checkpoint every ceil(sqrt(N)) steps. */
    public static StoredStatesGradient checkpointed() {
        return new StoredStatesGradient(0, "checkpointed");
    }

    /**
     * A checkpoint every {@code interval} steps.
     *
     * @throws IllegalArgumentException when interval &lt; 1
     */
    public static StoredStatesGradient checkpointedEvery(int interval) {
        if (interval < 1) {
            throw new IllegalArgumentException(
                    "gradient.checkpoint-interval must be >= 1, found " + interval);
        }
        return new StoredStatesGradient(interval, "checkpointed");
    }

    /** The interval used for a chain of n steps. */
    public int intervalFor(int n) {
        return interval > 0 ? interval : Math.max(1, (int) Math.ceil(Math.sqrt(n)));
    }

    private record Checkpoints(StateStore kept, NDArray last) implements ForwardResult {}

    @Override
    protected ForwardResult forward(Sweep sweep, NDArray x) {
        int n = sweep.purifier.chain().length();
        int every = intervalFor(n);
        StateStore kept =
                StateStore.allocatedAtStart(
                        sweep.scope,
                        (n + every - 1) / every,
                        j -> j < n && j % every == 0 ? j / every : -1);
        return new Checkpoints(kept, forwardSweep(sweep, x, kept));
    }

    @Override
    protected NDArray backward(Sweep sweep, ForwardResult forward, NDArray aN) {
        DiffusionPurifier p = sweep.purifier;
        Checkpoints cp = (Checkpoints) forward;
        int n = p.chain().length();
        int every = intervalFor(n);
        cp.last().close();
        NDArray a = aN;
        // One buffer, reused by every segment, for the rebuilt states (see StateStore on why kept
        // states live in one allocation); nothing to rebuild when every == 1.
        NDArray segment =
                every == 1
                        ? null
                        : sweep.scope.zeros(
                                new Shape(every).addAll(cp.kept().rows().getShape().slice(1)),
                                cp.kept().rows().getDataType());
        for (int seg = cp.kept().count() - 1; seg >= 0; seg--) {
            int from = seg * every;
            int to = Math.min(n, from + every);
            if (segment != null) {
                // y_{from+1} .. y_{to-1} into rows 1 .. to-1-from; y_from is the checkpoint
                StateStore rebuilt = StateStore.into(segment, j -> j > from ? j - from : -1);
                sweep.runner().observedBy(rebuilt).run(from, to - 1, cp.kept().row(seg)).close();
            }
            for (int k = to - 1; k >= from; k--) {
                sweep.sampleLive();
                NDArray yk = k == from ? cp.kept().row(seg) : segment.get(k - from);
                NDArray prev = p.stepVjp(k, yk, a);
                sweep.countBackward(k);
                a.close();
                a = prev;
                if (sweep.deviation != null && sweep.deviation.selects(k)) {
                    // the term's own gradient at y_k joins what flows back from y_{k+1}
                    prev = sweep.deviation.addGradient(k, yk, a);
                    a.close();
                    a = prev;
                }
                yk.close();
            }
        }
        sweep.sampleLive();
        cp.kept().rows().close();
        if (segment != null) {
            segment.close();
        }
        return a;
    }

    @Override
    public String name() {
        return name;
    }
}
