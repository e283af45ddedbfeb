package diffpure.noise;

import ai.djl.Device;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host threads that draw noise ahead of the model: while step k runs on the device, step k+1's
 * normals are computed here, split by rows over the workers. Noise is a pure function of its keys,
 * so where and when it is computed never changes a value.
 *
 * <p>One JVM-wide pool: Spark runs several tasks per executor JVM and each would otherwise start
 * threads of its own. {@link #inline()} computes on the calling thread, which is the right choice
 * on a CPU whose cores all run libtorch threads (a busy extra thread makes OpenMP workers wait at
 * their barriers).
 */
public final class NoiseWorkers {
    private static final NoiseWorkers INLINE = new NoiseWorkers(null, 0);
    private static final Object LOCK = new Object();
    private static NoiseWorkers shared;

    private final ExecutorService pool;
    private final int threads;

    private NoiseWorkers(ExecutorService pool, int threads) {
        this.pool = pool;
        this.threads = threads;
    }

    /** No background threads: every draw is computed when it is asked for. */
    public static NoiseWorkers inline() {
        return INLINE;
    }

    /**
     * The JVM-wide pool of this many daemon threads (created on first use; a later call with
     * another count gets the existing pool, so the first configuration of a JVM wins).
     *
     * @param threads at least 1; 0 gives {@link #inline()}
     */
    public static NoiseWorkers shared(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("noise threads must be >= 0, found " + threads);
        }
        if (threads == 0) {
            return INLINE;
        }
        synchronized (LOCK) {
            if (shared == null) {
                shared =
                        new NoiseWorkers(Executors.newFixedThreadPool(threads, daemons()), threads);
            }
            return shared;
        }
    }

    /**
     * The workers a setting asks for on a device: {@code configured} threads when it is &gt;= 0;
     * for -1 (auto), up to 4 threads on a GPU, where the host is otherwise idle during a model
     * call, and none on a CPU, whose cores already run libtorch's threads.
     */
    public static NoiseWorkers forDevice(int configured, Device device) {
        if (configured < -1) {
            throw new IllegalArgumentException(
                    "runtime.noise-threads must be >= -1, found " + configured);
        }
        if (configured >= 0) {
            return shared(configured);
        }
        boolean gpu = device != null && device.isGpu();
        return shared(
                gpu ? Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())) : 0);
    }

    /** Background threads in use (0 when inline). */
    public int threads() {
        return threads;
    }

    /** Whether draws are computed ahead on background threads. */
    public boolean prefetches() {
        return pool != null;
    }

    /** Starts filling {@code keys}' normals of a step, rows split over the workers. */
    CompletableFuture<float[]> submit(List<NoiseKey> keys, long step, int perRow) {
        int parts = Math.min(threads, keys.size());
        float[] dest = new float[perRow * keys.size()];
        CompletableFuture<?>[] pieces = new CompletableFuture<?>[parts];
        for (int p = 0; p < parts; p++) {
            int from = keys.size() * p / parts;
            int to = keys.size() * (p + 1) / parts;
            pieces[p] =
                    CompletableFuture.runAsync(
                            () -> fillRows(keys, step, perRow, dest, from, to), pool);
        }
        return CompletableFuture.allOf(pieces).thenApply(done -> dest);
    }

    /** Fills rows [from, to) of dest with their normals at a step, on the calling thread. */
    static void fillRows(
            List<NoiseKey> keys, long step, int perRow, float[] dest, int from, int to) {
        for (int r = from; r < to; r++) {
            GaussianNoise.fill(keys.get(r), step, dest, r * perRow, perRow);
        }
    }

    private static ThreadFactory daemons() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "diffpure-noise-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
