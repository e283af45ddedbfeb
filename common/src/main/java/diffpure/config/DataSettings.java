package diffpure.config;

import diffpure.data.CelebAHqDataset;
import diffpure.data.CifarBinaryDataset;
import diffpure.data.IdxDataset;
import diffpure.data.ImageDataset;
import diffpure.data.ImageNetValDataset;
import diffpure.data.ReadLimits;
import java.io.Serializable;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * The evaluation set.
 *
 * @param format idx, cifar10, imagenet or celeba-hq
 * @param images IDX images file, ImageNet or CelebA-HQ image folder
 * @param labels IDX labels file, ImageNet labels file, CelebA-HQ attribute file
 * @param paths CIFAR-10 batch files
 * @param attribute the CelebA-HQ attribute that is the label
 * @param classes number of classes
 * @param count samples evaluated (0: all), chosen by {@link diffpure.data.Subsets} with subsetSeed
 * @param subsetSeed seed of the subset rule
 * @param limits sizes the readers refuse before allocating them ({@code limits.*})
 */
public record DataSettings(
        String format,
        String images,
        String labels,
        List<String> paths,
        String attribute,
        int classes,
        int count,
        long subsetSeed,
        ReadLimits limits)
        implements Serializable {
    public DataSettings {
        paths = List.copyOf(paths);
    }

    /**
     * Opens the data set (headers and labels; pixels as the format reads them).
     *
     * @param conf Hadoop configuration for the paths (s3a credentials and endpoints)
     * @throws diffpure.data.DataException naming the file when the source is bad
     */
    public ImageDataset open(Configuration conf) {
        return switch (format) {
            case "idx" -> IdxDataset.open(images, labels, classes, conf, limits);
            case "cifar10" -> CifarBinaryDataset.open(paths, conf, limits);
            case "imagenet" ->
                    ImageNetValDataset.open(
                            images, labels, ImageNetValDataset.CLASSES, conf, limits);
            case "celeba-hq" ->
                    CelebAHqDataset.open(
                            images, labels, attribute, CelebAHqDataset.DEFAULT_SIZE, conf, limits);
            default ->
                    throw new ConfigError(
                            "data.format must be idx, cifar10, imagenet or celeba-hq, found '"
                                    + format
                                    + "'");
        };
    }
}
