package diffpure.data;

/** A random-access evaluation set. Implementations are immutable and thread-safe. */
public interface ImageDataset {
  /** Number of samples. */
  int size();

  /** Per-image shape [C, H, W]. */
  long[] imageShape();

  /** Number of classes. */
  int classes();

  /** The sample at position index (0 &lt;= index &lt; size()). */
  Sample get(int index);

  /** Where the data come from, for errors and result rows. */
  String source();
}
