package diffpure.data;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Whole-file reads through the Hadoop FileSystem API (local paths, file://, hdfs://, s3a://), with
 * the error policy every reader shares: missing, truncated or corrupt data is a {@link
 * DataException} naming the file; any other I/O failure (network, credentials) is an {@link
 * UncheckedIOException}, so a Spark task fails and is retried rather than recording a good sample
 * as bad.
 */
final class DataFiles {
    /** Java arrays hold at most this many bytes. */
    private static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private DataFiles() {}

    /**
     * A resolved file: its file system and its fully qualified path (for messages and provenance).
     */
    record Located(FileSystem fs, Path path) {
        Located child(String name) {
            return new Located(fs, new Path(path, name));
        }

        @Override
        public String toString() {
            return path.toString();
        }
    }

    /** Resolves a path string against the default file system of conf. */
    static Located locate(String path, Configuration conf) {
        if (path == null || path.isBlank()) {
            throw new DataException(
                    "data path is empty; set it to a file or folder (local, hdfs:// or s3a://)");
        }
        Path p = new Path(path);
        try {
            FileSystem fs = p.getFileSystem(conf);
            return new Located(fs, fs.makeQualified(p));
        } catch (IOException e) {
            throw new DataException(
                    path
                            + ": no file system for this path ("
                            + e.getMessage()
                            + "); check the scheme, and that hadoop-aws is on the classpath for"
                            + " s3a://",
                    e);
        }
    }

    /** The whole file, gunzipped when its name ends in ".gz". */
    static byte[] readAll(Located file) {
        try (FSDataInputStream raw = file.fs().open(file.path());
                InputStream in =
                        file.path().getName().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
            // readNBytes stops at MAX_BYTES; one more byte means the file cannot fit an array.
            byte[] bytes = in.readNBytes((int) MAX_BYTES);
            if (bytes.length == MAX_BYTES && in.read() >= 0) {
                throw new DataException(
                        file + ": larger than 2 GiB, too large to read into memory");
            }
            return bytes;
        } catch (IOException e) {
            throw readError(file, e);
        }
    }

    /** The file as UTF-8 text. */
    static String readText(Located file) {
        return new String(readAll(file), StandardCharsets.UTF_8);
    }

    /** Maps an I/O failure on file to the shared error policy (see the class comment). */
    static RuntimeException readError(Located file, IOException e) {
        if (e instanceof FileNotFoundException) {
            return new DataException(file + ": data file not found; check the path", e);
        }
        if (e instanceof EOFException || e instanceof ZipException) {
            return new DataException(
                    file + ": truncated or corrupt (" + e.getMessage() + "); re-download the file",
                    e);
        }
        return new UncheckedIOException(
                file
                        + ": cannot read ("
                        + e.getMessage()
                        + "); retry, or check the path and credentials",
                e);
    }
}
