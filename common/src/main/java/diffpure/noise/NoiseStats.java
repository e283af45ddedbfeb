package diffpure.noise;

import java.util.concurrent.atomic.LongAdder;

/**
 * JVM-wide counters of the time chains spend waiting for noise (generation when it was not ready,
 * plus the copy into a tensor): the part of noise generation that lies on the critical path. Read
 * by the benchmarks; never used to make decisions.
 */
public final class NoiseStats {
    private static final LongAdder NANOS = new LongAdder();
    private static final LongAdder DRAWS = new LongAdder();
    private static final LongAdder NORMALS = new LongAdder();

    private NoiseStats() {}

    static void record(long nanos, long normals) {
        NANOS.add(nanos);
        DRAWS.increment();
        NORMALS.add(normals);
    }

    /** Nanoseconds spent inside draws since the last reset. */
    public static long criticalNanos() {
        return NANOS.sum();
    }

    /** Draws since the last reset. */
    public static long draws() {
        return DRAWS.sum();
    }

    /** Normals drawn since the last reset. */
    public static long normals() {
        return NORMALS.sum();
    }

    /** Zeroes the counters (benchmarks call it before a measured section). */
    public static void reset() {
        NANOS.reset();
        DRAWS.reset();
        NORMALS.reset();
    }
}
