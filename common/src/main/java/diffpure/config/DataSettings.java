package diffpure.config;

import java.io.Serializable;
import java.util.List;

/**
 * The evaluation set; {@code diffpure.data.Datasets} opens it.
 *
 * @param format idx, cifar10, imagenet or celeba-hq
 * @param images IDX images file, ImageNet or CelebA-HQ image folder
 * @param labels IDX labels file, ImageNet labels file, CelebA-HQ attribute file
 * @param paths CIFAR-10 batch files
 * @param attribute the CelebA-HQ attribute that is the label
 * @param classes number of classes
 * @param count samples evaluated (0: all), chosen by {@code diffpure.data.Subsets} with subsetSeed
 * @param subsetSeed seed of the subset rule
 * @param seededOrder whether the samples are planned in the subset rule's permutation order ({@code
 *     data.order = seeded}, which a stopping rule needs) rather than ascending
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
        boolean seededOrder,
        ReadLimits limits)
        implements Serializable {
    public DataSettings {
        paths = List.copyOf(paths);
    }
}
