package diffpure.jobs.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The done-markers of a run, {@code <output>/_progress/<run id>/chunk-NNNNN.done}: a chunk counts
 * as done only once its rows were written and counted, so a chunk written but not marked is
 * rewritten by a resume.
 */
final class ChunkMarkers {
    private final Path dir;
    private final FileSystem fs;

    ChunkMarkers(String output, String runId, Configuration conf) {
        this.dir = new Path(output.replaceAll("/+$", "") + "/_progress/" + runId);
        try {
            this.fs = dir.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("no file system for " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The directory of the markers. */
    Path dir() {
        return dir;
    }

    /** The marker of a chunk. */
    Path marker(int chunk) {
        return new Path(dir, String.format(Locale.ROOT, "chunk-%05d.done", chunk));
    }

    /** Whether a chunk is marked done. */
    boolean isDone(int chunk) {
        Path p = marker(chunk);
        try {
            return fs.exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("checking " + p + ": " + e.getMessage(), e);
        }
    }

    /** Marks a chunk done with its row count (after the rows were counted in the table). */
    void markDone(int chunk, long rows) {
        Path p = marker(chunk);
        try (FSDataOutputStream out = fs.create(p, true)) {
            out.write((rows + " rows\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("marking " + p + " done: " + e.getMessage(), e);
        }
    }
}
