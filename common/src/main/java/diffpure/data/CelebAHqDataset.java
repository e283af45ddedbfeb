package diffpure.data;

import diffpure.config.ReadLimits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * CelebA-HQ as DiffPure evaluates it: a folder of square face images and the CelebAMask-HQ
 * attribute file ({@code CelebAMask-HQ-attribute-anno.txt}: the image count, a line of attribute
 * names, then one {@code filename v1 v2 ...} line per image with 1 or -1 per attribute). One
 * attribute, chosen by name, gives a two-class label: 1 when present, 0 when absent. Images are
 * resized to size x size (Pillow's antialiased bilinear, as torchvision's {@code Resize}), giving
 * float [3, size, size] in [0, 1].
 *
 * <p>Sample ids are line positions in the attribute file (0 for its first image line).
 */
public final class CelebAHqDataset implements ImageDataset {
    /** Side the images are resized to unless another is configured. */
    public static final int DEFAULT_SIZE = 256;

    private record Entry(String name, String value, int line) {}

    private final DataFiles.Located dir;
    private final String attributeSource;
    private final String attribute;
    private final Entry[] entries;
    private final int size;
    private final ReadLimits limits;

    private CelebAHqDataset(
            DataFiles.Located dir,
            String attributeSource,
            String attribute,
            Entry[] entries,
            int size,
            ReadLimits limits) {
        this.limits = limits;
        this.dir = dir;
        this.attributeSource = attributeSource;
        this.attribute = attribute;
        this.entries = entries;
        this.size = size;
    }

    /**
     * Opens the set at the default size; see {@link #open(String, String, String, int,
     * Configuration)}.
     */
    public static CelebAHqDataset open(
            String imageDir, String attributeFile, String attribute, Configuration conf) {
        return open(imageDir, attributeFile, attribute, DEFAULT_SIZE, conf);
    }

    /**
     * Opens a folder of images and its attribute file.
     *
     * @param attribute the attribute that is the label, as named in the file (e.g. "Eyeglasses")
     * @param size side of the square images produced
     * @throws DataException naming the attribute file (and line) when it is missing, truncated, has
     *     a bad header or a line with the wrong number of values, or does not name the attribute
     */
    public static CelebAHqDataset open(
            String imageDir, String attributeFile, String attribute, int size, Configuration conf) {
        return open(imageDir, attributeFile, attribute, size, conf, ReadLimits.DEFAULTS);
    }

    /**
     * Opens a folder of images and its attribute file within limits; see {@link #open(String,
     * String, String, int, Configuration)}.
     *
     * @throws DataException naming the file, the value and the limit when the attribute file or the
     *     image count it announces exceeds limits (images are checked when read)
     */
    public static CelebAHqDataset open(
            String imageDir,
            String attributeFile,
            String attribute,
            int size,
            Configuration conf,
            ReadLimits limits) {
        if (size < 1 || (long) size * size > limits.imagePixels()) {
            throw new IllegalArgumentException(
                    "CelebA-HQ image size must be >= 1 with size x size within"
                            + " limits.image-pixels = "
                            + limits.imagePixels()
                            + ", found "
                            + size);
        }
        DataFiles.Located file = DataFiles.locate(attributeFile, conf);
        String[] lines = DataFiles.readText(file, limits).split("\r?\n", -1);
        if (lines.length < 2) {
            throw new DataException(
                    file
                            + ": expected an image count line and an attribute names line; the"
                            + " file is truncated or not a CelebAMask-HQ attribute file");
        }
        int count;
        try {
            count = Integer.parseInt(lines[0].strip());
        } catch (NumberFormatException e) {
            throw new DataException(
                    file
                            + ":1: expected the image count, found '"
                            + lines[0].strip()
                            + "'; not a CelebAMask-HQ attribute file",
                    e);
        }
        if (count < 0) {
            throw new DataException(file + ":1: negative image count " + count);
        }
        if (count > limits.samples()) {
            throw DataFiles.exceeded(
                    file + ":1", "image count", count, "limits.samples", limits.samples());
        }
        String[] names = lines[1].strip().split("\\s+");
        int column = Arrays.asList(names).indexOf(attribute);
        if (column < 0) {
            throw new DataException(
                    "attribute '"
                            + attribute
                            + "' is not in "
                            + file
                            + "; it has: "
                            + String.join(", ", names));
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 2; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != names.length + 1) {
                throw new DataException(
                        file
                                + ":"
                                + (i + 1)
                                + ": expected a file name and "
                                + names.length
                                + " attribute values, found "
                                + (parts.length - 1)
                                + " values; the file is corrupt");
            }
            if (entries.size() == count) {
                throw new DataException(
                        file
                                + ":"
                                + (i + 1)
                                + ": more image lines than the "
                                + count
                                + " the header announces; the file is corrupt");
            }
            DataFiles.checkPlainName(parts[0], file + ":" + (i + 1));
            entries.add(new Entry(parts[0], parts[column + 1], i + 1));
        }
        if (entries.size() != count) {
            throw new DataException(
                    file
                            + ": header announces "
                            + count
                            + " images but "
                            + entries.size()
                            + " lines follow; the file is truncated");
        }
        return new CelebAHqDataset(
                DataFiles.locate(imageDir, conf),
                file.toString(),
                attribute,
                entries.toArray(new Entry[0]),
                size,
                limits);
    }

    @Override
    public int size() {
        return entries.length;
    }

    @Override
    public long[] imageShape() {
        return new long[] {3, size, size};
    }

    /** Two: the attribute is absent (0) or present (1). */
    @Override
    public int classes() {
        return 2;
    }

    /** The attribute that gives the label. */
    public String attribute() {
        return attribute;
    }

    @Override
    public Sample get(int index) {
        if (index < 0 || index >= entries.length) {
            throw new IndexOutOfBoundsException(
                    "sample " + index + " of " + entries.length + " in " + source());
        }
        Entry e = entries[index];
        int label;
        switch (e.value()) {
            case "1" -> label = 1;
            case "-1" -> label = 0;
            default ->
                    throw new DataException(
                            attributeSource
                                    + ":"
                                    + e.line()
                                    + ": sample "
                                    + index
                                    + " ("
                                    + e.name()
                                    + ") has "
                                    + attribute
                                    + " = '"
                                    + e.value()
                                    + "', expected 1 or -1");
        }
        DataFiles.Located file = dir.child(e.name());
        String where = file + " (sample " + index + ")";
        Rgb8 image = ImageFiles.read(file, where, limits);
        if (image.width() != image.height()) {
            throw new DataException(
                    where
                            + ": image is "
                            + image.width()
                            + "x"
                            + image.height()
                            + ", but CelebA-HQ images are square; wrong file?");
        }
        if (image.width() != size) {
            image = AntialiasResize.resize(image, size, size);
        }
        return new Sample(index, label, image.toChw());
    }

    @Override
    public String source() {
        return dir.toString();
    }
}
