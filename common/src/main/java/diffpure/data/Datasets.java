package diffpure.data;

import diffpure.config.ConfigError;
import diffpure.config.DataSettings;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * The data set a run's {@link DataSettings} describe. A new format is one more entry in {@link
 * #FORMATS} and one more case in {@link #open}.
 */
public final class Datasets {
    /** What data.format accepts. */
    public static final List<String> FORMATS = List.of("idx", "cifar10", "imagenet", "celeba-hq");

    private Datasets() {}

    /**
     * Opens the data set (headers and labels; pixels as the format reads them).
     *
     * @param conf Hadoop configuration for the paths (s3a credentials and endpoints)
     * @throws DataException naming the file when the source is bad
     * @throws ConfigError naming data.format when it is none of {@link #FORMATS}
     */
    public static ImageDataset open(DataSettings s, Configuration conf) {
        return switch (s.format()) {
            case "idx" -> IdxDataset.open(s.images(), s.labels(), s.classes(), conf, s.limits());
            case "cifar10" -> CifarBinaryDataset.open(s.paths(), conf, s.limits());
            case "imagenet" ->
                    ImageNetValDataset.open(
                            s.images(), s.labels(), ImageNetValDataset.CLASSES, conf, s.limits());
            case "celeba-hq" ->
                    CelebAHqDataset.open(
                            s.images(),
                            s.labels(),
                            s.attribute(),
                            CelebAHqDataset.DEFAULT_SIZE,
                            conf,
                            s.limits());
            default ->
                    throw new ConfigError(
                            "data.format must be one of "
                                    + FORMATS
                                    + ", found '"
                                    + s.format()
                                    + "'");
        };
    }
}
