package diffpure.testing;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;

/**
 * Forces what the garbage collector does at a time of its own choosing: collect everything
 * unreachable and free the native memory of the direct buffers among it.
 */
public final class Collect {
    private Collect() {}

    /**
     * Runs full collections until everything unreachable now has been collected and its cleaners (a
     * direct buffer's native memory is freed by one) have run. The Reference Handler thread takes
     * the references a collection found as one list and runs or enqueues them in turn, so a
     * sentinel found by a second collection is handled only after the whole list of the first.
     */
    public static void garbageAndCleaners() {
        for (int round = 0; round < 2; round++) {
            ReferenceQueue<Object> queue = new ReferenceQueue<>();
            PhantomReference<Object> sentinel = new PhantomReference<>(new Object(), queue);
            try {
                Reference<?> done;
                do {
                    System.gc();
                    done = queue.remove(100);
                } while (done == null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a collection", e);
            }
            Reference.reachabilityFence(sentinel);
        }
    }
}
