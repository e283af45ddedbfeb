package diffpure.jobs.evaluate;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;
import org.apache.spark.status.api.v1.ExecutorSummary;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Watches one run's Spark jobs (its job group) from the driver: samples done including the batches
 * of tasks still running (executors send their accumulators with every heartbeat, so the count
 * moves per batch, not per finished task), busy executors, failed and retried task attempts, and
 * the slot utilisation (busy task-seconds over available slot-seconds).
 */
final class RunMonitor extends SparkListener {
    private final SparkContext sc;
    private final String jobGroup;
    private final LongAccumulator done;
    private final long total;
    private final long before;
    private final PrintStream log;
    private final long t0 = System.nanoTime();
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final Map<Long, String> running = new ConcurrentHashMap<>();
    private final Map<Long, Long> partial = new ConcurrentHashMap<>();
    private long busyMillis;
    private long firstLaunch = Long.MAX_VALUE;
    private long lastEnd;
    private int failed;
    private int retried;
    private int tasks;

    RunMonitor(
            SparkContext sc,
            String jobGroup,
            LongAccumulator done,
            long total,
            long before,
            PrintStream log) {
        this.sc = sc;
        this.jobGroup = jobGroup;
        this.done = done;
        this.total = total;
        this.before = before;
        this.log = log;
    }

    @Override
    public void onJobStart(SparkListenerJobStart e) {
        if (e.properties() != null
                && jobGroup.equals(e.properties().getProperty("spark.jobGroup.id"))) {
            for (Object id : CollectionConverters.asJava(e.stageIds())) {
                stages.add((Integer) id);
            }
        }
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart e) {
        if (!stages.contains(e.stageId())) {
            return;
        }
        TaskInfo t = e.taskInfo();
        running.put(t.taskId(), t.executorId());
        synchronized (this) {
            firstLaunch = Math.min(firstLaunch, t.launchTime());
            if (t.attemptNumber() > 0) {
                retried++;
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        if (!stages.contains(e.stageId())) {
            return;
        }
        TaskInfo t = e.taskInfo();
        running.remove(t.taskId());
        partial.remove(t.taskId());
        synchronized (this) {
            tasks++;
            busyMillis += t.finishTime() - t.launchTime();
            lastEnd = Math.max(lastEnd, t.finishTime());
            if (t.failed() || t.killed()) {
                failed++;
            }
        }
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate e) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> u :
                CollectionConverters.asJava(e.accumUpdates())) {
            long task = (Long) u._1();
            if (!running.containsKey(task)) {
                continue;
            }
            for (AccumulableInfo a : CollectionConverters.asJava(u._4())) {
                if (a.id() == done.id() && a.update().isDefined()) {
                    partial.put(task, ((Number) a.update().get()).longValue());
                }
            }
        }
    }

    /** Samples finished in this session: of finished tasks, and batches of running ones. */
    long samplesDone() {
        long p = partial.values().stream().mapToLong(Long::longValue).sum();
        return Math.min(total - before, done.value() + p);
    }

    /** Prints the progress line. */
    synchronized void print() {
        long now = samplesDone();
        double secs = (System.nanoTime() - t0) / 1e9;
        double rate = now / Math.max(secs, 1e-9);
        long left = total - before - now;
        String eta = now == 0 ? "?" : String.format(Locale.ROOT, "%.0f s", left / rate);
        log.printf(
                Locale.ROOT,
                "progress: %d/%d samples (%.0f%%), %.2f samples/s, ETA %s, %d busy executors,"
                        + " %d tasks running, %d failed, %d retried%n",
                before + now,
                total,
                100.0 * (before + now) / Math.max(total, 1),
                rate,
                eta,
                running.values().stream().distinct().count(),
                running.size(),
                failed,
                retried);
    }

    /** Task attempts that failed (lost executors included). */
    synchronized int failedTasks() {
        return failed;
    }

    /** Task attempts after a first one. */
    synchronized int retriedTasks() {
        return retried;
    }

    /**
     * Slot utilisation between the first task's launch and the last task's end: busy task-seconds
     * over the slot-seconds the executors alive in that window offered (cores / spark.task.cpus),
     * from Spark's status store; null before any task ended.
     */
    synchronized Utilisation utilisation() {
        if (tasks == 0) {
            return null;
        }
        int cpus = sc.conf().getInt("spark.task.cpus", 1);
        double available = 0;
        for (ExecutorSummary x :
                CollectionConverters.asJava(sc.statusStore().executorList(false))) {
            long from = Math.max(firstLaunch, x.addTime().getTime());
            long to =
                    Math.min(
                            lastEnd,
                            x.removeTime().isDefined()
                                    ? x.removeTime().get().getTime()
                                    : Long.MAX_VALUE);
            if (to > from) {
                available += (double) (x.totalCores() / cpus) * (to - from);
            }
        }
        return new Utilisation(busyMillis / 1e3, available / 1e3, (lastEnd - firstLaunch) / 1e3);
    }

    /**
     * Busy and available slot-seconds over a run's task window.
     *
     * @param busySlotSeconds summed task durations
     * @param availableSlotSeconds slots alive times their time in the window
     * @param windowSeconds first task launch to last task end
     */
    record Utilisation(double busySlotSeconds, double availableSlotSeconds, double windowSeconds) {
        /** Busy over available, 0 when nothing was available. */
        double ratio() {
            return availableSlotSeconds <= 0 ? 0 : busySlotSeconds / availableSlotSeconds;
        }
    }
}
