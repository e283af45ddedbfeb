package diffpure.config;

import java.io.Serializable;

/**
 * Sizes the readers refuse before they allocate memory for them, so that a small hostile file (a
 * gzip bomb, a header claiming billions of pixels) fails with a {@code diffpure.data.DataException}
 * naming the file, the value and the limit instead of exhausting an executor. The config keys are
 * {@code limits.*} (reference.conf); {@link #DEFAULTS} holds the same values for code that reads
 * without an experiment config, and a test keeps the two equal.
 *
 * @param fileBytes largest data file read whole, after decompression: IDX files, CIFAR-10 batches,
 *     image files ({@code limits.file-bytes})
 * @param textFileBytes largest labels or attribute file ({@code limits.text-file-bytes})
 * @param gunzipBytes most bytes one ".gz" file may inflate to ({@code limits.gunzip-bytes})
 * @param gunzipRatio most inflated bytes per compressed byte, checked once a file has inflated past
 *     1 MiB ({@code limits.gunzip-ratio})
 * @param samples most samples one data set may declare ({@code limits.samples})
 * @param imagePixels most pixels (width x height) of an image file, read from its header before it
 *     is decoded, and of the image a resize produces from it ({@code limits.image-pixels})
 * @param idxImagePixels most pixels (rows x columns) of one IDX image ({@code
 *     limits.idx-image-pixels})
 */
public record ReadLimits(
        long fileBytes,
        long textFileBytes,
        long gunzipBytes,
        int gunzipRatio,
        int samples,
        long imagePixels,
        long idxImagePixels)
        implements Serializable {
    /** The reference.conf values. */
    public static final ReadLimits DEFAULTS =
            new ReadLimits(512L << 20, 64L << 20, 512L << 20, 100, 10_000_000, 1L << 25, 1L << 20);

    public ReadLimits {
        if (fileBytes < 1
                || textFileBytes < 1
                || gunzipBytes < 1
                || gunzipRatio < 1
                || samples < 1
                || imagePixels < 1
                || idxImagePixels < 1) {
            throw new IllegalArgumentException("every read limit must be >= 1");
        }
    }
}
