package diffpure.data;

import diffpure.config.ReadLimits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;

/**
 * ImageNet validation images: a folder of JPEGs and a labels file with one {@code filename label}
 * line per image (the usual {@code val.txt}). Each image goes through torchvision's evaluation
 * transform, {@code Resize(256)} (shorter side to 256, bilinear with antialiasing, as on PIL
 * images) then {@code CenterCrop(224)}, giving float [3, 224, 224] in [0, 1].
 *
 * <p>Sample ids are positions in the labels file sorted by file name, so they do not depend on the
 * order of its lines. Only the labels file is read when opening; each image is read when its sample
 * is.
 */
public final class ImageNetValDataset implements ImageDataset {
    /** ImageNet-1k classes. */
    public static final int CLASSES = 1000;

    /** Shorter side after resizing. */
    public static final int RESIZE = 256;

    /** Side of the centre crop. */
    public static final int CROP = 224;

    private record Entry(String name, int label, int line) {}

    private final DataFiles.Located dir;
    private final String labelsSource;
    private final Entry[] entries;
    private final int classes;
    private final ReadLimits limits;

    private ImageNetValDataset(
            DataFiles.Located dir,
            String labelsSource,
            Entry[] entries,
            int classes,
            ReadLimits limits) {
        this.dir = dir;
        this.labelsSource = labelsSource;
        this.entries = entries;
        this.classes = classes;
        this.limits = limits;
    }

    /**
     * Opens the ImageNet-1k validation set; see {@link #open(String, String, int, Configuration)}.
     */
    public static ImageNetValDataset open(String imageDir, String labelsFile, Configuration conf) {
        return open(imageDir, labelsFile, CLASSES, conf);
    }

    /**
     * Opens a folder of images and its labels file.
     *
     * @param classes labels must lie in [0, classes), checked per sample by {@link #get}
     * @throws DataException naming the labels file and line when it is missing, empty, or has a
     *     malformed line, a non-integer label or a file name listed twice
     */
    public static ImageNetValDataset open(
            String imageDir, String labelsFile, int classes, Configuration conf) {
        return open(imageDir, labelsFile, classes, conf, ReadLimits.DEFAULTS);
    }

    /**
     * Opens a folder of images and its labels file within limits; see {@link #open(String, String,
     * int, Configuration)}.
     *
     * @throws DataException naming the file, the value and the limit when the labels file or its
     *     line count exceeds limits (images are checked when their sample is read)
     */
    public static ImageNetValDataset open(
            String imageDir,
            String labelsFile,
            int classes,
            Configuration conf,
            ReadLimits limits) {
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be >= 1, found " + classes);
        }
        DataFiles.Located labels = DataFiles.locate(labelsFile, conf);
        String[] lines = DataFiles.readText(labels, limits).split("\r?\n", -1);
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            String where = labels + ":" + (i + 1);
            if (parts.length != 2) {
                throw new DataException(
                        where + ": expected 'filename label', found '" + line + "'");
            }
            int label;
            try {
                label = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new DataException(where + ": label '" + parts[1] + "' is not an integer", e);
            }
            DataFiles.checkPlainName(parts[0], where);
            if (!seen.add(parts[0])) {
                throw new DataException(where + ": file " + parts[0] + " is listed twice");
            }
            if (entries.size() == limits.samples()) {
                throw DataFiles.exceeded(
                        where,
                        "more image lines than",
                        entries.size(),
                        "limits.samples",
                        limits.samples());
            }
            entries.add(new Entry(parts[0], label, i + 1));
        }
        if (entries.isEmpty()) {
            throw new DataException(
                    labels + ": no 'filename label' lines; the labels file is empty");
        }
        Entry[] sorted = entries.toArray(new Entry[0]);
        Arrays.sort(sorted, Comparator.comparing(Entry::name));
        return new ImageNetValDataset(
                DataFiles.locate(imageDir, conf), labels.toString(), sorted, classes, limits);
    }

    @Override
    public int size() {
        return entries.length;
    }

    @Override
    public long[] imageShape() {
        return new long[] {3, CROP, CROP};
    }

    @Override
    public int classes() {
        return classes;
    }

    /** The image file name of the sample at index. */
    public String fileName(int index) {
        return entries[index].name();
    }

    @Override
    public Sample get(int index) {
        if (index < 0 || index >= entries.length) {
            throw new IndexOutOfBoundsException(
                    "sample " + index + " of " + entries.length + " in " + source());
        }
        Entry e = entries[index];
        if (e.label() < 0 || e.label() >= classes) {
            throw new DataException(
                    labelsSource
                            + ":"
                            + e.line()
                            + ": sample "
                            + index
                            + " ("
                            + e.name()
                            + ") has label "
                            + e.label()
                            + ", outside [0, "
                            + classes
                            + ")");
        }
        DataFiles.Located file = dir.child(e.name());
        String where = file + " (sample " + index + ")";
        Rgb8 image = ImageFiles.read(file, where, limits);
        // A long thin image is small, but resizing its shorter side to 256 is not.
        int[] size = resizedSize(image.width(), image.height());
        if ((long) size[0] * size[1] > limits.imagePixels()) {
            throw DataFiles.exceeded(
                    where,
                    "image of "
                            + image.width()
                            + "x"
                            + image.height()
                            + " resizes to "
                            + size[0]
                            + "x"
                            + size[1]
                            + " =",
                    (long) size[0] * size[1],
                    "limits.image-pixels",
                    limits.imagePixels());
        }
        return new Sample(index, e.label(), evalTransform(image).toChw());
    }

    /**
     * Width and height after {@code Resize(256)}: shorter side 256, longer int(256 * long / short).
     */
    static int[] resizedSize(int w, int h) {
        int shorter = Math.min(w, h);
        // Saturates rather than wraps for extreme aspect ratios; the caller refuses those.
        int longer = (int) Math.min(Integer.MAX_VALUE, (double) RESIZE * Math.max(w, h) / shorter);
        return w <= h ? new int[] {RESIZE, longer} : new int[] {longer, RESIZE};
    }

    /**
     * torchvision {@code Resize(256)} then {@code CenterCrop(224)}, with torchvision 0.14's
     * rounding.
     */
    static Rgb8 evalTransform(Rgb8 image) {
        int[] size = resizedSize(image.width(), image.height());
        Rgb8 resized = AntialiasResize.resize(image, size[0], size[1]);
        // int(round((size - crop) / 2.0)): Python rounds halves to even, hence rint.
        int top = (int) Math.rint((resized.height() - CROP) / 2.0);
        int left = (int) Math.rint((resized.width() - CROP) / 2.0);
        return resized.crop(left, top, CROP, CROP);
    }

    @Override
    public String source() {
        return dir.toString();
    }
}
