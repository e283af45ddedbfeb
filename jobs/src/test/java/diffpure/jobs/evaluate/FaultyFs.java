package diffpure.jobs.evaluate;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;
import org.apache.spark.TaskContext;

/**
 * The local file system under the scheme {@code faulty://FAULT/absolute/path} (registered as {@code
 * spark.hadoop.fs.faulty.impl} by {@link TinyRuns#session}), where FAULT says which task attempts
 * meet a fault when they create a file of the samples table, that is when they write the rows they
 * computed:
 *
 * <ul>
 *   <li>{@code fail-partition-P-attempt-A}: task attempt A of partition P fails (an IOException);
 *   <li>{@code hold-N-tasks}: each task waits until N tasks are writing (at most 60 s), then all
 *       hold their rows for {@link #HOLD_MILLIS} more, so that they outlast several executor
 *       heartbeats and progress lines whatever the machine's speed.
 * </ul>
 *
 * The fault is in the path, so a test needs no shared switch; the run's code is the production
 * path.
 */
public final class FaultyFs extends RawLocalFileSystem {
    /** How long held tasks hold once all have arrived. */
    static final long HOLD_MILLIS = 3000;

    private static final Pattern FAIL = Pattern.compile("fail-partition-(\\d+)-attempt-(\\d+)");
    private static final Pattern HOLD = Pattern.compile("hold-(\\d+)-tasks");
    private static final Map<String, CountDownLatch> ARRIVED = new ConcurrentHashMap<>();

    private String fault = "";

    /** A path under this scheme with this fault. */
    static String path(String fault, java.nio.file.Path local) {
        return "faulty://" + fault + local.toAbsolutePath();
    }

    @Override
    public void initialize(URI name, Configuration conf) throws IOException {
        fault = name.getAuthority() == null ? "" : name.getAuthority();
        super.initialize(name, conf);
    }

    @Override
    public URI getUri() {
        return URI.create("faulty://" + (fault == null ? "" : fault) + "/");
    }

    @Override
    public String getScheme() {
        return "faulty";
    }

    /** Meets the fault when a task creates a file of the samples table. */
    private void meet(Path f) throws IOException {
        TaskContext tc = TaskContext.get();
        if (tc == null || !f.toUri().getPath().contains("/samples/")) {
            return;
        }
        Matcher m = FAIL.matcher(fault);
        if (m.matches()
                && tc.partitionId() == Integer.parseInt(m.group(1))
                && tc.attemptNumber() == Integer.parseInt(m.group(2))) {
            throw new IOException(
                    "faulty: refused "
                            + f
                            + " to attempt "
                            + tc.attemptNumber()
                            + " of partition "
                            + tc.partitionId());
        }
        Matcher hold = HOLD.matcher(fault);
        if (hold.matches()) {
            int tasks = Integer.parseInt(hold.group(1));
            CountDownLatch all = ARRIVED.computeIfAbsent(fault, k -> new CountDownLatch(tasks));
            all.countDown();
            try {
                all.await(60, TimeUnit.SECONDS);
                Thread.sleep(HOLD_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("faulty: interrupted while holding " + f, e);
            }
        }
    }

    @Override
    public FSDataOutputStream create(
            Path f,
            FsPermission permission,
            boolean overwrite,
            int bufferSize,
            short replication,
            long blockSize,
            Progressable progress)
            throws IOException {
        meet(f);
        return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    }

    @Override
    public FSDataOutputStream create(
            Path f,
            boolean overwrite,
            int bufferSize,
            short replication,
            long blockSize,
            Progressable progress)
            throws IOException {
        meet(f);
        return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
    }
}
