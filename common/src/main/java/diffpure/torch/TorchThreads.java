package diffpure.torch;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's intra-op thread count is per calling thread with the OpenMP backend, and every new
 * Java thread (each Spark task) starts with the library default, so it is set and checked on every
 * thread that runs models. Without this, several tasks per executor oversubscribe the cores.
 */
public final class TorchThreads {
    private static final ThreadLocal<Integer> CHECKED = new ThreadLocal<>();

    private TorchThreads() {}

    /**
     * Sets the intra-op thread count for the calling thread and checks that libtorch reports it.
     *
     * @param threads the count, &gt;= 1
     * @throws IllegalStateException when libtorch does not take the setting
     */
    public static void ensure(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException(
                    "runtime.torch-threads must be >= 1, found " + threads);
        }
        Engine.getEngine("PyTorch"); // loads libtorch before the first native call
        Integer done = CHECKED.get();
        if (done != null && done == threads && JniUtils.getNumThreads() == threads) {
            return;
        }
        JniUtils.setNumThreads(threads);
        int actual = JniUtils.getNumThreads();
        if (actual != threads) {
            throw new IllegalStateException(
                    "libtorch runs "
                            + actual
                            + " intra-op threads on thread "
                            + Thread.currentThread().getName()
                            + " after asking for "
                            + threads
                            + " (runtime.torch-threads)");
        }
        CHECKED.set(threads);
    }

    /** The intra-op thread count libtorch reports for the calling thread. */
    public static int current() {
        return JniUtils.getNumThreads();
    }
}
