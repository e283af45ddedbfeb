package diffpure.data;

import diffpure.config.ReadLimits;
import java.nio.ByteBuffer;
import org.apache.hadoop.conf.Configuration;

/**
 * MNIST-style IDX files (Fashion-MNIST, the demo set): an images file (magic 2051, uint8 [n, h, w])
 * and a labels file (magic 2049, uint8 [n]), each gzip-compressed when its name ends in ".gz".
 * Sample ids are file positions. Both files are read whole when opened.
 */
public final class IdxDataset implements ImageDataset {
    private static final int IMAGES_MAGIC = 2051;
    private static final int LABELS_MAGIC = 2049;

    private final String source;
    private final String labelSource;

    /** The images file: a 16-byte header, then the pixels. */
    private final byte[] pixels;

    /** The labels file: an 8-byte header, then the labels. */
    private final byte[] labels;

    private final int count;
    private final int height;
    private final int width;
    private final int classes;

    private IdxDataset(
            String source,
            String labelSource,
            byte[] pixels,
            byte[] labels,
            int count,
            int h,
            int w,
            int classes) {
        this.source = source;
        this.labelSource = labelSource;
        this.pixels = pixels;
        this.labels = labels;
        this.count = count;
        this.height = h;
        this.width = w;
        this.classes = classes;
    }

    /**
     * Reads an images and a labels file from any Hadoop file system path.
     *
     * @param classes number of classes; labels must lie in [0, classes), checked per sample by
     *     {@link #get}
     * @throws DataException naming the file when a file is missing, truncated, not gzip where named
     *     ".gz", has a bad header, or the image and label counts differ
     */
    public static IdxDataset open(
            String images, String labelFile, int classes, Configuration conf) {
        return open(images, labelFile, classes, conf, ReadLimits.DEFAULTS);
    }

    /**
     * Reads an images and a labels file within limits; see {@link #open(String, String, int,
     * Configuration)}.
     *
     * @throws DataException naming the file, the value and the limit when a file, its image count
     *     or its image size exceeds limits
     */
    public static IdxDataset open(
            String images, String labelFile, int classes, Configuration conf, ReadLimits limits) {
        if (classes < 1 || classes > 256) {
            throw new IllegalArgumentException("IDX classes must be in [1, 256], found " + classes);
        }
        DataFiles.Located imageLoc = DataFiles.locate(images, conf);
        DataFiles.Located labelLoc = DataFiles.locate(labelFile, conf);
        ByteBuffer img = ByteBuffer.wrap(DataFiles.readAll(imageLoc, limits));
        ByteBuffer lab = ByteBuffer.wrap(DataFiles.readAll(labelLoc, limits));
        if (img.capacity() < 16 || img.getInt(0) != IMAGES_MAGIC) {
            throw new DataException(
                    imageLoc
                            + ": not an IDX images file (magic "
                            + IMAGES_MAGIC
                            + " expected"
                            + (img.capacity() < 4 ? ", file too short" : ", found " + img.getInt(0))
                            + ")");
        }
        if (lab.capacity() < 8 || lab.getInt(0) != LABELS_MAGIC) {
            throw new DataException(
                    labelLoc
                            + ": not an IDX labels file (magic "
                            + LABELS_MAGIC
                            + " expected"
                            + (lab.capacity() < 4 ? ", file too short" : ", found " + lab.getInt(0))
                            + ")");
        }
        int n = img.getInt(4);
        int h = img.getInt(8);
        int w = img.getInt(12);
        if (n > limits.samples()) {
            throw DataFiles.exceeded(
                    imageLoc, "image count", n, "limits.samples", limits.samples());
        }
        if ((long) h * w > limits.idxImagePixels()) {
            throw DataFiles.exceeded(
                    imageLoc,
                    "image size " + h + "x" + w + " =",
                    (long) h * w,
                    "limits.idx-image-pixels",
                    limits.idxImagePixels());
        }
        long expected = 16L + (long) n * h * w;
        if (n < 0 || h < 1 || w < 1 || img.capacity() != expected) {
            throw new DataException(
                    imageLoc
                            + ": header says "
                            + n
                            + " images of "
                            + h
                            + "x"
                            + w
                            + " ("
                            + expected
                            + " bytes) but the file has "
                            + img.capacity()
                            + " bytes; the file is truncated or corrupt");
        }
        int nl = lab.getInt(4);
        if (nl < 0 || lab.capacity() != 8L + nl) {
            throw new DataException(
                    labelLoc
                            + ": header says "
                            + nl
                            + " labels but the file has "
                            + (lab.capacity() - 8)
                            + "; the file is truncated or corrupt");
        }
        if (nl != n) {
            throw new DataException(
                    labelLoc
                            + ": "
                            + nl
                            + " labels for "
                            + n
                            + " images in "
                            + imageLoc
                            + "; the two files do not belong together");
        }
        // The files' own arrays, read at an offset: no second copy.
        return new IdxDataset(
                imageLoc.toString(),
                labelLoc.toString(),
                img.array(),
                lab.array(),
                n,
                h,
                w,
                classes);
    }

    /** Reads local files; see {@link #open(String, String, int, Configuration)}. */
    public static IdxDataset read(
            java.nio.file.Path images, java.nio.file.Path labelFile, int classes) {
        return open(
                images.toUri().toString(),
                labelFile.toUri().toString(),
                classes,
                new Configuration());
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
    public int label(int index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException(
                    "sample " + index + " of " + count + " in " + source);
        }
        int label = labels[8 + index] & 0xFF;
        if (label >= classes) {
            throw new DataException(
                    labelSource
                            + ": sample "
                            + index
                            + " has label "
                            + label
                            + ", outside [0, "
                            + classes
                            + "); the labels file is corrupt or classes is set wrong");
        }
        return label;
    }

    @Override
    public Sample get(int index) {
        int label = label(index); // range and label checks, naming the file and sample
        int per = height * width;
        float[] img = new float[per];
        for (int i = 0; i < per; i++) {
            img[i] = (pixels[16 + index * per + i] & 0xFF) / 255f;
        }
        return new Sample(index, label, img);
    }

    @Override
    public String source() {
        return source;
    }
}
