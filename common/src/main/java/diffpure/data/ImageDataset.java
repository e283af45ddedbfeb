package diffpure.data;

/**
 * A random-access evaluation set. Implementations are immutable and thread-safe.
 *
 * <p>Problems with the whole source (missing file, bad header, truncation) are reported when the
 * data set is opened. Problems with one sample (out-of-range label, corrupt or wrongly sized image)
 * are reported when that sample is read: {@link #get} throws, {@link #tryGet} returns them as a
 * {@link SampleResult}.
 */
public interface ImageDataset {
    /** Number of samples. */
    int size();

    /** Per-image shape [C, H, W]. */
    long[] imageShape();

    /** Number of classes. */
    int classes();

    /**
     * The sample at position index (0 &lt;= index &lt; size()).
     *
     * @throws DataException naming the file and the sample when this sample is corrupt or out of
     *     range
     * @throws IndexOutOfBoundsException when index is outside [0, size())
     */
    Sample get(int index);

    /** Where the data come from, for errors and result rows. */
    String source();

    /**
     * The label of the sample at index, for planning a run without reading pixels. The default
     * reads the whole sample; formats that keep labels apart override it.
     *
     * @throws DataException as {@link #get} does when the label is out of range
     */
    default int label(int index) {
        return get(index).label();
    }

    /** The stable id of the sample at index; by default the index itself. */
    default long id(int index) {
        return index;
    }

    /**
     * The sample at index, or the reason it cannot be read: the continue-on-error path. Only bad
     * data ({@link DataException}) becomes an error result; I/O failures a retry may cure still
     * throw.
     */
    default SampleResult tryGet(int index) {
        try {
            return SampleResult.ok(index, get(index));
        } catch (DataException e) {
            return SampleResult.failed(index, id(index), e.getMessage());
        }
    }
}
