package diffpure.torch;

import java.util.concurrent.TimeUnit;

/**
 * Lets the JVM go down on Ctrl-C or SIGTERM without a libtorch crash dump (hs_err_pid*.log): when
 * the process exits, libtorch's static destructors run, and a thread still inside a libtorch call
 * at that moment crashes the JVM. Threads that compute (Spark tasks, commands) do so inside {@link
 * #enter()}; every model call passes {@link #checkpoint()}. A shutdown hook then refuses new work,
 * makes the next checkpoint of every such thread throw {@link Stopped} and waits, at most {@link
 * #GRACE_SECONDS}, until every thread has left.
 */
public final class NativeWork {
    /** How long the shutdown waits for the computing threads: longer than one model call. */
    public static final long GRACE_SECONDS = 30;

    private static final Object LOCK = new Object();
    private static volatile boolean stopping;
    private static int inside;
    private static boolean hooked;

    private NativeWork() {}

    /** Thrown at a checkpoint, or by {@link #enter()}, once the JVM is shutting down. */
    public static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super("stopped: the process is shutting down (interrupted or terminated)");
        }
    }

    /** A thread's stay inside computing work; closing it leaves. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Enters computing work (nested calls are fine: each scope is left once).
     *
     * @throws Stopped once the JVM is shutting down
     */
    public static Scope enter() {
        synchronized (LOCK) {
            if (!hooked) {
                hooked = true;
                try {
                    Runtime.getRuntime()
                            .addShutdownHook(
                                    new Thread(
                                            () -> stopAndWait(GRACE_SECONDS, TimeUnit.SECONDS),
                                            "diffpure-stop-native-work"));
                } catch (IllegalStateException shuttingDown) {
                    stopping = true;
                }
            }
            if (stopping) {
                throw new Stopped();
            }
            inside++;
        }
        return NativeWork::leave;
    }

    private static void leave() {
        synchronized (LOCK) {
            inside--;
            LOCK.notifyAll();
        }
    }

    /**
     * Called before each model call.
     *
     * @throws Stopped once the JVM is shutting down
     */
    public static void checkpoint() {
        if (stopping) {
            throw new Stopped();
        }
    }

    /**
     * Refuses new work, stops the running work at its next checkpoint and waits until every thread
     * has left its scope, or the timeout passed.
     *
     * @return whether every thread left in time
     */
    static boolean stopAndWait(long timeout, TimeUnit unit) {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (LOCK) {
            stopping = true;
            while (inside > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(LOCK, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** Whether the JVM is shutting down (work would be stopped). */
    public static boolean stopping() {
        return stopping;
    }
}
