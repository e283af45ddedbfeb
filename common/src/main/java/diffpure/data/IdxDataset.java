package diffpure.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * MNIST-style IDX files (Fashion-MNIST, the demo set): an images file (magic 2051, uint8 [n, h, w]) and a labels
 * file (magic 2049, uint8 [n]), each optionally gzip-compressed. Sample ids are file positions.
 */
public final class IdxDataset implements ImageDataset {
  private final String source;
  private final byte[] pixels;
  private final byte[] labels;
  private final int count;
  private final int height;
  private final int width;
  private final int classes;

  private IdxDataset(String source, byte[] pixels, byte[] labels, int count, int h, int w, int classes) {
    this.source = source;
    this.pixels = pixels;
    this.labels = labels;
    this.count = count;
    this.height = h;
    this.width = w;
    this.classes = classes;
  }

  /**
   * Reads an images and a labels file.
   *
   * @throws DataException naming the file (and sample) when a file is missing, truncated or has a bad header,
   *     the counts differ, or a label is outside [0, classes)
   */
  public static IdxDataset read(Path images, Path labelFile, int classes) {
    ByteBuffer img = ByteBuffer.wrap(readAll(images));
    ByteBuffer lab = ByteBuffer.wrap(readAll(labelFile));
    if (img.remaining() < 16 || img.getInt(0) != 2051) {
      throw new DataException(images + ": not an IDX images file (magic 2051 expected)");
    }
    if (lab.remaining() < 8 || lab.getInt(0) != 2049) {
      throw new DataException(labelFile + ": not an IDX labels file (magic 2049 expected)");
    }
    int n = img.getInt(4);
    int h = img.getInt(8);
    int w = img.getInt(12);
    long expected = 16L + (long) n * h * w;
    if (n < 0 || h < 1 || w < 1 || img.capacity() != expected) {
      throw new DataException(images + ": header says " + n + " images of " + h + "x" + w + " (" + expected
          + " bytes) but the file has " + img.capacity() + " bytes (truncated or corrupt)");
    }
    int nl = lab.getInt(4);
    if (lab.capacity() != 8L + nl) {
      throw new DataException(labelFile + ": header says " + nl + " labels but the file has "
          + (lab.capacity() - 8) + " (truncated or corrupt)");
    }
    if (nl != n) {
      throw new DataException(labelFile + ": " + nl + " labels for " + n + " images in " + images);
    }
    byte[] labels = new byte[n];
    lab.position(8);
    lab.get(labels);
    for (int i = 0; i < n; i++) {
      int label = labels[i] & 0xFF;
      if (label >= classes) {
        throw new DataException(labelFile + ": sample " + i + " has label " + label + ", outside [0, " + classes
            + ")");
      }
    }
    byte[] pixels = new byte[n * h * w];
    img.position(16);
    img.get(pixels);
    return new IdxDataset(images.toString(), pixels, labels, n, h, w, classes);
  }

  private static byte[] readAll(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new DataException(file + ": data file not found");
    }
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new DataException(file + ": cannot read (" + e.getMessage() + "); truncated or corrupt?", e);
    }
  }

  @Override
  public int size() {
    return count;
  }

  @Override
  public long[] imageShape() {
    return new long[] {1, height, width};
  }

  @Override
  public int classes() {
    return classes;
  }

  @Override
  public Sample get(int index) {
    if (index < 0 || index >= count) {
      throw new IndexOutOfBoundsException("sample " + index + " of " + count + " in " + source);
    }
    int per = height * width;
    float[] img = new float[per];
    for (int i = 0; i < per; i++) {
      img[i] = (pixels[index * per + i] & 0xFF) / 255f;
    }
    return new Sample(index, labels[index] & 0xFF, img);
  }

  @Override
  public String source() {
    return source;
  }
}
