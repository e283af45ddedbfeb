package diffpure.data;

import diffpure.config.ReadLimits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * CIFAR-10 binary batches ({@code test_batch.bin}, {@code data_batch_1.bin}, ...): records of one
 * label byte followed by 3072 pixel bytes, the red, green and blue 32x32 planes in row-major order.
 * Several batch files read as one set, in the order given; sample ids are record positions in that
 * sequence.
 *
 * <p>The files are read whole when opened (30 MiB per batch), so a sample costs no further I/O.
 */
public final class CifarBinaryDataset implements ImageDataset {
    /** CIFAR-10 classes. */
    public static final int CLASSES = 10;

    /** Image side in pixels. */
    public static final int SIDE = 32;

    /** Pixel bytes per record (3 planes of 32x32). */
    public static final int PIXELS = 3 * SIDE * SIDE;

    /** Bytes per record: the label byte and the pixels. */
    public static final int RECORD = 1 + PIXELS;

    private final String[] files;
    private final byte[][] data;

    /** Index of the first sample of each file, plus the total at the end. */
    private final int[] starts;

    private CifarBinaryDataset(String[] files, byte[][] data, int[] starts) {
        this.files = files;
        this.data = data;
        this.starts = starts;
    }

    /** Opens one batch file; see {@link #open(List, Configuration)}. */
    public static CifarBinaryDataset open(String path, Configuration conf) {
        return open(List.of(path), conf);
    }

    /**
     * Opens batch files as one set, in order.
     *
     * @throws DataException naming the file when one is missing, empty, or not a whole number of
     *     records
     */
    public static CifarBinaryDataset open(List<String> paths, Configuration conf) {
        return open(paths, conf, ReadLimits.DEFAULTS);
    }

    /**
     * Opens batch files as one set, in order, within limits; see {@link #open(List,
     * Configuration)}.
     *
     * @throws DataException naming the file, the value and the limit when a file exceeds
     *     limits.file-bytes or the records in all exceed limits.samples
     */
    public static CifarBinaryDataset open(
            List<String> paths, Configuration conf, ReadLimits limits) {
        if (paths.isEmpty()) {
            throw new DataException(
                    "no CIFAR-10 batch files given; list at least one (e.g. test_batch.bin)");
        }
        List<String> names = new ArrayList<>();
        byte[][] data = new byte[paths.size()][];
        int[] starts = new int[paths.size() + 1];
        for (int f = 0; f < paths.size(); f++) {
            DataFiles.Located file = DataFiles.locate(paths.get(f), conf);
            byte[] bytes = DataFiles.readAll(file, limits);
            if (bytes.length == 0 || bytes.length % RECORD != 0) {
                throw new DataException(
                        file
                                + ": "
                                + bytes.length
                                + " bytes is not a whole number of "
                                + RECORD
                                + "-byte CIFAR-10 records (record "
                                + bytes.length / RECORD
                                + " is incomplete); the file is truncated or not a CIFAR-10 binary"
                                + " batch");
            }
            names.add(file.toString());
            data[f] = bytes;
            long end = (long) starts[f] + bytes.length / RECORD;
            if (end > limits.samples()) {
                throw DataFiles.exceeded(
                        file, "records in all", end, "limits.samples", limits.samples());
            }
            starts[f + 1] = (int) end;
        }
        return new CifarBinaryDataset(names.toArray(new String[0]), data, starts);
    }

    @Override
    public int size() {
        return starts[starts.length - 1];
    }

    @Override
    public long[] imageShape() {
        return new long[] {3, SIDE, SIDE};
    }

    @Override
    public int classes() {
        return CLASSES;
    }

    @Override
    public Sample get(int index) {
        if (index < 0 || index >= size()) {
            throw new IndexOutOfBoundsException(
                    "sample " + index + " of " + size() + " in " + source());
        }
        int f = fileOf(index);
        int record = index - starts[f];
        byte[] bytes = data[f];
        int offset = record * RECORD;
        int label = bytes[offset] & 0xFF;
        if (label >= CLASSES) {
            throw new DataException(
                    files[f]
                            + ": sample "
                            + index
                            + " (record "
                            + record
                            + ") has label "
                            + label
                            + ", outside [0, "
                            + CLASSES
                            + "); the file is corrupt, re-download it");
        }
        float[] image = new float[PIXELS];
        for (int i = 0; i < PIXELS; i++) {
            image[i] = (bytes[offset + 1 + i] & 0xFF) / 255f;
        }
        return new Sample(index, label, image);
    }

    private int fileOf(int index) {
        int pos = Arrays.binarySearch(starts, index);
        // Files are never empty, so starts increase strictly and an exact hit is that file's first
        // sample.
        return pos >= 0 ? pos : -pos - 2;
    }

    @Override
    public String source() {
        return files.length == 1 ? files[0] : String.join(",", files);
    }
}
