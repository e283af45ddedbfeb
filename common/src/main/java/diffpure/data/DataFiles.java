package diffpure.data;

import diffpure.config.ReadLimits;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.hadoop.conf.Configuration;
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
    /** Inflated size below which the gzip ratio is not checked (headers dominate tiny files). */
    static final long GUNZIP_RATIO_FLOOR = 1L << 20;

    /** The error for a value over a limit: the file, the value and the limit key and value. */
    static DataException exceeded(Object where, String what, long value, String key, long limit) {
        return new DataException(
                where
                        + ": "
                        + what
                        + " "
                        + value
                        + " exceeds "
                        + key
                        + " = "
                        + limit
                        + "; raise the limit if the file is genuine");
    }

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

    /**
     * Checks that name, read from a labels or attribute file, is a plain file name inside the image
     * folder: no separator, no ':' (a Hadoop path would read it as a scheme), not "." or "..".
     *
     * @throws DataException naming where (file and line)
     */
    static void checkPlainName(String name, String where) {
        if (name.isEmpty()
                || name.contains("/")
                || name.contains("\\")
                || name.contains(":")
                || name.equals(".")
                || name.equals("..")) {
            throw new DataException(
                    where + ": '" + name + "' is not a plain file name in the image folder");
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

    /**
     * The whole file, gunzipped when its name ends in ".gz", refused before its bytes are allocated
     * when it exceeds limits.file-bytes (or, gzipped, limits.gunzip-bytes or limits.gunzip-ratio).
     */
    static byte[] readAll(Located file, ReadLimits limits) {
        return read(file, limits.fileBytes(), "limits.file-bytes", limits);
    }

    /** The file as UTF-8 text, bounded by limits.text-file-bytes (see {@link #readAll}). */
    static String readText(Located file, ReadLimits limits) {
        return new String(
                read(file, limits.textFileBytes(), "limits.text-file-bytes", limits),
                StandardCharsets.UTF_8);
    }

    private static byte[] read(Located file, long max, String key, ReadLimits limits) {
        try {
            long stored = file.fs().getFileStatus(file.path()).getLen();
            if (stored > max) {
                throw exceeded(file, "file size", stored, key, max);
            }
            if (!file.path().getName().endsWith(".gz")) {
                return readExactly(file, stored, file.fs().open(file.path()));
            }
            // Inflate once into a small buffer, only counting, so that a gzip bomb is refused
            // before anything of its size is allocated; then read it for real.
            long inflated = inflatedSize(file, stored, Math.min(max, limits.gunzipBytes()), limits);
            return readExactly(file, inflated, new GZIPInputStream(file.fs().open(file.path())));
        } catch (IOException e) {
            throw readError(file, e);
        }
    }

    /** Bytes the gzip file inflates to, stopping at the first byte over a limit. */
    private static long inflatedSize(Located file, long stored, long max, ReadLimits limits)
            throws IOException {
        long ratioMax = Math.max(GUNZIP_RATIO_FLOOR, stored * limits.gunzipRatio());
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        try (InputStream in = new GZIPInputStream(file.fs().open(file.path()))) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                total += n;
                if (total > max) {
                    String key =
                            max == limits.gunzipBytes()
                                    ? "limits.gunzip-bytes"
                                    : "limits.file-bytes";
                    throw exceeded(file, "inflated size (at least)", total, key, max);
                }
                if (total > ratioMax) {
                    throw exceeded(
                            file,
                            "gzip expansion (at least " + total + " bytes from " + stored + ")",
                            total / Math.max(1, stored),
                            "limits.gunzip-ratio",
                            limits.gunzipRatio());
                }
            }
        }
        return total;
    }

    /** Exactly size bytes of the stream (closed here); a different length means it changed. */
    private static byte[] readExactly(Located file, long size, InputStream stream)
            throws IOException {
        try (InputStream in = stream) {
            if (size > MAX_BYTES) {
                throw new DataException(
                        file + ": larger than 2 GiB, too large to read into memory");
            }
            byte[] bytes = in.readNBytes((int) size);
            if (bytes.length != size || in.read() >= 0) {
                throw new DataException(
                        file
                                + ": changed while it was read ("
                                + size
                                + " bytes expected); read it again once it is complete");
            }
            return bytes;
        }
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
