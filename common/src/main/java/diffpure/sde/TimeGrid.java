package diffpure.sde;

import java.util.Arrays;

/**
 * An explicit decreasing time grid t_0 = start &gt; t_1 &gt; ... &gt; t_N = end with t_{k+1} =
 * max(t_k - dt, end): the reference's torchsde grid (the last step is shorter). Immutable.
 */
public final class TimeGrid {
    private final double[] times;

    private TimeGrid(double[] times) {
        this.times = times;
    }

    /**
     * The grid from start down to end with step dt.
     *
     * @throws IllegalArgumentException naming the offending value when dt &lt;= 0, start outside
     *     (0, 1] or end outside [0, start)
     */
    public static TimeGrid of(double start, double end, double dt) {
        if (!(dt > 0) || !Double.isFinite(dt)) {
            throw new IllegalArgumentException("purify.dt must be > 0, found " + dt);
        }
        if (!(start > 0 && start <= 1)) {
            throw new IllegalArgumentException("purify.t-star must be in (0, 1], found " + start);
        }
        if (!(end >= 0 && end < start)) {
            throw new IllegalArgumentException(
                    "purify.t-end must be in [0, t-star), found " + end + " with t-star " + start);
        }
        long count = (long) Math.ceil((start - end) / dt - 1e-9);
        if (count > 10_000_000) {
            throw new IllegalArgumentException(
                    "time grid would have " + count + " steps; raise purify.dt");
        }
        double[] t = new double[(int) count + 1];
        t[0] = start;
        for (int k = 1; k <= count; k++) {
            // Computed from the start rather than accumulated, so rounding does not drift over 1000
            // steps.
            t[k] = Math.max(start - k * dt, end);
        }
        t[(int) count] = end;
        return new TimeGrid(t);
    }

    /**
     * The grid of this grid's points t_{k_0} &gt; t_{k_1} &gt; ... at the given indices (a coarser
     * grid over a sub-interval, the whole one when the indices run from 0 to N).
     *
     * @throws IllegalArgumentException unless the indices increase within [0, N] and are >= 2
     */
    public TimeGrid subgrid(int[] indices) {
        if (indices.length < 2) {
            throw new IllegalArgumentException("a grid needs >= 2 points, found " + indices.length);
        }
        double[] t = new double[indices.length];
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] > steps() || (i > 0 && indices[i] <= indices[i - 1])) {
                throw new IllegalArgumentException(
                        "grid indices must increase within [0, "
                                + steps()
                                + "], found "
                                + Arrays.toString(indices));
            }
            t[i] = times[indices[i]];
        }
        return new TimeGrid(t);
    }

    /** Number of steps N. */
    public int steps() {
        return times.length - 1;
    }

    /** t_k, k in [0, N]. */
    public double time(int k) {
        return times[k];
    }

    /** h_k = t_k - t_{k+1}, k in [0, N). */
    public double stepSize(int k) {
        return times[k] - times[k + 1];
    }

    @Override
    public String toString() {
        return "TimeGrid["
                + times[0]
                + " -> "
                + times[times.length - 1]
                + ", "
                + steps()
                + " steps]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TimeGrid other && Arrays.equals(times, other.times);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(times);
    }
}
