package diffpure.jobs.evaluate;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The progress line of the gradient-masking checks, which have no per-sample count: the rows their
 * tasks computed (those of running tasks from the executors' heartbeats) against the upper bound
 * the dry run uses, and the tasks done.
 */
final class SanityProgress extends SparkListener {
    private final SanityTask.Rows rows;
    private final long gradientBound;
    private final long forwardBound;
    private final int tasks;
    private final PrintStream log;
    private final long t0 = System.nanoTime();
    // per running task, its latest counts: {gradient, forward}
    private final Map<Long, long[]> partial = new ConcurrentHashMap<>();
    // per ended task attempt, whether it succeeded
    private final Map<Long, Boolean> ended = new ConcurrentHashMap<>();
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final String description;

    /**
     * @param gradientBound gradient rows the checks compute at most
     * @param forwardBound forward rows at most
     * @param tasks the checks' tasks
     * @param description the Spark job description of the checks' job
     */
    SanityProgress(
            String description,
            SanityTask.Rows rows,
            long gradientBound,
            long forwardBound,
            int tasks,
            PrintStream log) {
        this.description = description;
        this.rows = rows;
        this.gradientBound = gradientBound;
        this.forwardBound = forwardBound;
        this.tasks = tasks;
        this.log = log;
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate e) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> u :
                CollectionConverters.asJava(e.accumUpdates())) {
            long task = (Long) u._1();
            if (ended.containsKey(task)) {
                continue;
            }
            for (AccumulableInfo a : CollectionConverters.asJava(u._4())) {
                int slot = slot(a.id());
                if (slot >= 0 && a.update().isDefined()) {
                    partial.computeIfAbsent(task, t -> new long[2])[slot] =
                            ((Number) a.update().get()).longValue();
                }
            }
        }
    }

    @Override
    public void onJobStart(SparkListenerJobStart e) {
        if (e.properties() != null
                && description.equals(e.properties().getProperty("spark.job.description"))) {
            for (Object id : CollectionConverters.asJava(e.stageIds())) {
                stages.add((Integer) id);
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        if (stages.contains(e.stageId())) {
            // its counts are in the accumulators' values now
            ended.put(e.taskInfo().taskId(), e.taskInfo().successful());
            partial.remove(e.taskInfo().taskId());
        }
    }

    private int slot(long id) {
        return id == rows.gradient().id() ? 0 : id == rows.forward().id() ? 1 : -1;
    }

    /** The rows computed so far: {gradient, forward}. */
    long[] done() {
        long g = rows.gradient().value();
        long f = rows.forward().value();
        for (long[] p : partial.values()) {
            g += p[0];
            f += p[1];
        }
        return new long[] {g, f};
    }

    /** Seconds since this was made. */
    double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Prints the progress line. */
    void print() {
        long[] d = done();
        log.printf(
                Locale.ROOT,
                "checks: %d of %d tasks done; rows with gradients %d of at most %d, without %d of"
                        + " at most %d; %.0f s%n",
                ended.values().stream().filter(Boolean::booleanValue).count(),
                tasks,
                d[0],
                gradientBound,
                d[1],
                forwardBound,
                seconds());
    }
}
