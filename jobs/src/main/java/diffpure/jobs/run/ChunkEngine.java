package diffpure.jobs.run;

import diffpure.jobs.store.ChunkMarkers;
import diffpure.jobs.store.TableCommitter;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Runs a table's chunks as concurrent Spark jobs and commits each on its own, in this order: write
 * its rows (replacing any earlier rows of the chunk), count them in the chunk's own directory
 * against the plan, and only then mark it done. Chunks marked done by an earlier call are skipped,
 * so a rerun resumes; a chunk written but not marked is rewritten. The first failure cancels the
 * other chunks' jobs (their chunks stay unmarked). A {@link StopRule} may end the run early.
 */
public final class ChunkEngine {
    /** What one kind of run computes per chunk. */
    public interface ChunkWork {
        /** The chunk's rows (with the id and chunk columns); computed when they are written. */
        Dataset<Row> rows(int chunk);

        /** Rows the chunk must hold once written. */
        long planned(int chunk);

        /** The chunk's Spark job description. */
        String describe(int chunk);

        /**
         * Whether a written and counted chunk may be marked done; false leaves it for a resume to
         * recompute.
         *
         * @param dir the chunk's directory
         */
        default boolean markable(int chunk, String dir) {
            return true;
        }
    }

    /**
     * The table the chunks go to.
     *
     * @param label what runs, for messages ("run ID", "rescore ID")
     * @param id the value of the table's id column (run_id, rescore_id)
     * @param committer how rows reach the table
     * @param chunkSchema the schema of a chunk directory's files (no partition columns)
     * @param markers the done-markers
     */
    public record Target(
            String label,
            String id,
            TableCommitter committer,
            StructType chunkSchema,
            ChunkMarkers markers) {}

    /**
     * What a call did.
     *
     * @param committed chunks written and counted by this call
     * @param unmarked of those, chunks left unmarked ({@link ChunkWork#markable} said no)
     * @param stopped whether the stop rule ended the run before every chunk ran
     */
    public record Result(int committed, int unmarked, boolean stopped) {}

    private final SparkSession spark;
    private final Target target;
    private final String group;

    /**
     * An engine.
     *
     * @param group the Spark job group of every chunk job (cancelled together on failure)
     */
    public ChunkEngine(SparkSession spark, Target target, String group) {
        this.spark = spark;
        this.target = target;
        this.group = group;
    }

    /** Spark setting: chunk jobs in flight at once (default: enough to fill every slot). */
    public static final String CHUNKS_IN_FLIGHT = "spark.diffpure.chunksInFlight";

    /**
     * Chunk jobs to keep in flight: {@link #CHUNKS_IN_FLIGHT} when set (1 runs chunks one after
     * another, as before), else enough that their tasks cover every slot twice over, so that slots
     * stay busy while chunks commit, plus one.
     *
     * @param chunkPartitions partitions (Spark tasks) of the largest chunk
     */
    public static int inFlight(SparkSession spark, int chunkPartitions) {
        String set = spark.conf().get(CHUNKS_IN_FLIGHT, "");
        if (!set.isBlank()) {
            try {
                int n = Integer.parseInt(set.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(
                    CHUNKS_IN_FLIGHT + " must be an integer >= 1, found '" + set + "'");
        }
        int slots =
                Math.max(
                        1,
                        spark.sparkContext().defaultParallelism()
                                / spark.sparkContext().conf().getInt("spark.task.cpus", 1));
        int perChunk = Math.max(1, chunkPartitions);
        // Twice the slots: a chunk's commit (write, count, mark) leaves its slots to the next
        // chunks' queued tasks instead of idle.
        return (2 * slots + perChunk - 1) / perChunk + 1;
    }

    /**
     * The first maxChunks of these chunks (all when maxChunks is negative): what a call limited to
     * maxChunks commits (--max-chunks), leaving the rest for the next call of the same command.
     */
    public static List<Integer> atMost(List<Integer> todo, int maxChunks) {
        return maxChunks >= 0 && todo.size() > maxChunks ? todo.subList(0, maxChunks) : todo;
    }

    /**
     * Prints how to go on when chunks are left after a call limited to maxChunks (--max-chunks);
     * prints nothing when none are left or the call was not limited.
     *
     * @param label what ran ("run ID", "rescore ID")
     * @param left chunks neither done before nor committed by this call
     */
    public static void printLeft(String label, int left, int maxChunks, PrintStream log) {
        if (maxChunks >= 0 && left > 0) {
            log.printf(
                    Locale.ROOT,
                    "%s: stopped after --max-chunks %d; %d chunks left: run the same command again"
                            + " to resume%n",
                    label,
                    maxChunks,
                    left);
        }
    }

    /** The chunks among these not marked done, in the given order. */
    public List<Integer> notDone(List<Integer> chunks) {
        return chunks.stream().filter(k -> !target.markers().isDone(k)).toList();
    }

    /**
     * Runs the chunks, at most {@code inFlight} at once, submitted in the given order.
     *
     * @param todo the chunks to run (none marked done)
     * @param done chunks marked done by earlier calls (for the stop rule's prefix)
     * @param stop judged after each commit
     * @param work the computation
     * @param onCommit called after each chunk's commit (progress lines)
     */
    public Result run(
            List<Integer> todo,
            List<Integer> done,
            Schedule schedule,
            ChunkWork work,
            Runnable onCommit) {
        if (todo.isEmpty()) {
            return new Result(0, 0, false);
        }
        Progress progress = new Progress(done, schedule.stop());
        ExecutorService pool =
                Executors.newFixedThreadPool(
                        Math.min(schedule.inFlight(), todo.size()), daemon("diffpure-chunks"));
        CompletionService<Boolean> cs = new ExecutorCompletionService<>(pool);
        for (int k : todo) {
            cs.submit(
                    () -> progress.stopped.get() ? Boolean.FALSE : commitChunk(k, work, progress));
        }
        int ran = 0;
        try {
            for (int i = 0; i < todo.size(); i++) {
                try {
                    if (cs.take().get()) {
                        ran++;
                        onCommit.run();
                    }
                } catch (ExecutionException e) {
                    throw failed(e, ran);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            spark.sparkContext().cancelJobGroup(group);
            throw new IllegalStateException("interrupted while chunks ran", e);
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return new Result(ran, progress.unmarked.get(), progress.stopped.get());
    }

    /**
     * How chunks are scheduled.
     *
     * @param inFlight chunk jobs at most at once
     * @param stop when to stop early
     */
    public record Schedule(int inFlight, StopRule stop) {}

    /** Fail fast: the other chunks' jobs stop; their chunks stay unmarked. */
    private RuntimeException failed(ExecutionException e, int ran) {
        spark.sparkContext().cancelJobGroup(group);
        if (e.getCause() instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(
                target.label()
                        + " stopped: "
                        + e.getCause().getMessage()
                        + "; "
                        + ran
                        + " chunks were committed by this call, the others are"
                        + " not marked done ("
                        + target.markers().dir()
                        + "); run the same command again to resume",
                e.getCause());
    }

    private boolean commitChunk(int k, ChunkWork work, Progress progress) {
        try {
            long rows = commit(k, work);
            if (rows < 0) {
                progress.unmarked.incrementAndGet();
            } else {
                progress.committed(k, rows);
            }
            return true;
        } catch (RuntimeException e) {
            throw new IllegalStateException("chunk " + k + " failed: " + e.getMessage(), e);
        }
    }

    /** Write, count, mark; returns the rows, or -1 when the chunk was left unmarked. */
    private long commit(int k, ChunkWork work) {
        spark.sparkContext().setJobGroup(group, work.describe(k), true);
        target.committer().writeChunk(work.rows(k), target.id(), k);
        long planned = work.planned(k);
        // Count the chunk's own directory: other chunks may be committing beside it.
        String dir = target.committer().chunkPath(target.id(), k);
        long written = spark.read().schema(target.chunkSchema()).parquet(dir).count();
        if (written != planned) {
            throw new IllegalStateException(
                    "chunk "
                            + k
                            + " of "
                            + target.label()
                            + ": "
                            + written
                            + " rows in "
                            + dir
                            + " but "
                            + planned
                            + " planned");
        }
        if (!work.markable(k, dir)) {
            return -1;
        }
        target.markers().markDone(k, written);
        return written;
    }

    /** The committed chunks, and whether the stop rule has said stop. */
    private static final class Progress {
        final AtomicBoolean stopped = new AtomicBoolean();
        final AtomicInteger unmarked = new AtomicInteger();
        private final TreeMap<Integer, Long> committed = new TreeMap<>();
        private final StopRule rule;

        Progress(List<Integer> done, StopRule rule) {
            this.rule = rule;
            done.forEach(k -> committed.put(k, -1L));
        }

        synchronized void committed(int chunk, long rows) {
            committed.put(chunk, rows);
            List<StopRule.Committed> prefix = new ArrayList<>();
            for (int k = 0; committed.containsKey(k); k++) {
                prefix.add(new StopRule.Committed(k, committed.get(k)));
            }
            if (rule.stop(prefix)) {
                stopped.set(true);
            }
        }
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
