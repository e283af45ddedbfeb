package diffpure.jobs.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The done-markers of a run or rescore, {@code <dir>/chunk-NNNNN.done} (dir: {@link
 * TablePaths#runProgress}, {@link TablePaths#rescoreProgress}): a chunk counts as done only once
 * its rows were written and counted, so a chunk written but not marked is rewritten by a resume.
 */
public final class ChunkMarkers {
    private final Path dir;
    private final FileSystem fs;

    /** The markers in a directory. */
    public ChunkMarkers(String dir, Configuration conf) {
        this.dir = new Path(dir);
        try {
            this.fs = this.dir.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "no file system for " + this.dir + ": " + e.getMessage(), e);
        }
    }

    /** The directory of the markers. */
    public Path dir() {
        return dir;
    }

    /** The marker of a chunk. */
    public Path marker(int chunk) {
        return new Path(dir, String.format(Locale.ROOT, "chunk-%05d.done", chunk));
    }

    /** Whether a chunk is marked done. */
    public boolean isDone(int chunk) {
        Path p = marker(chunk);
        try {
            return fs.exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("checking " + p + ": " + e.getMessage(), e);
        }
    }

    /** Marks a chunk done with its row count (after the rows were counted in the table). */
    public void markDone(int chunk, long rows) {
        Path p = marker(chunk);
        try (FSDataOutputStream out = fs.create(p, true)) {
            out.write((rows + " rows\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("marking " + p + " done: " + e.getMessage(), e);
        }
    }
}
