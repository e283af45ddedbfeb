package diffpure.jobs.eval;

import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.util.LongAccumulator;

/** The driver's progress line: samples done of total, throughput of this session, ETA. */
final class Progress {
    private final long total;
    private final long before;
    private final LongAccumulator done;
    private final PrintStream log;
    private final long t0 = System.nanoTime();

    Progress(long total, long before, LongAccumulator done, PrintStream log) {
        this.total = total;
        this.before = before;
        this.done = done;
        this.log = log;
    }

    synchronized void print() {
        // Executors report a partition's count when its task ends; failed attempts do not count.
        long now = done.value();
        double secs = (System.nanoTime() - t0) / 1e9;
        double rate = now / Math.max(secs, 1e-9);
        long left = total - before - now;
        String eta = now == 0 ? "?" : String.format(Locale.ROOT, "%.0f s", left / rate);
        log.printf(
                Locale.ROOT,
                "progress: %d/%d samples (%.0f%%), %.2f samples/s, ETA %s%n",
                before + now,
                total,
                100.0 * (before + now) / Math.max(total, 1),
                rate,
                eta);
    }
}
