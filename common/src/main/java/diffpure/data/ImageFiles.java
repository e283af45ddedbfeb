package diffpure.data;

import diffpure.config.ReadLimits;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Image files decoded with javax.imageio, strictly: damage is an error. Only JPEG, PNG and GIF are
 * read: the data sets are JPEG and PNG, and the JDK's other decoders (BMP, TIFF, WBMP) size buffers
 * from header fields while reading the header, before any limit can be checked (fuzzing found a BMP
 * palette size that reached {@code new byte[-134217728]}).
 */
final class ImageFiles {
    /** ImageIO format names read (see the class comment). */
    private static final java.util.Set<String> FORMATS = java.util.Set.of("jpeg", "png", "gif");

    private ImageFiles() {}

    /** Reads and decodes file within limits; where names the file and sample in errors. */
    static Rgb8 read(DataFiles.Located file, String where, ReadLimits limits) {
        return decode(DataFiles.readAll(file, limits), where, limits);
    }

    /**
     * Decodes an image held in memory.
     *
     * @throws DataException naming where when no decoder recognises the bytes, the decoder reports
     *     damage (ImageIO only warns on a truncated JPEG and fills the rest grey, so warnings count
     *     as errors), or not 8-bit grey or RGB, or (before decoding, from its header) larger than
     *     limits.image-pixels, so a tiny hostile header cannot exhaust memory
     */
    static Rgb8 decode(byte[] bytes, String where, ReadLimits limits) {
        // A memory-backed stream: ImageIO's default may spill to temporary files on executors.
        try (ImageInputStream in =
                new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DataException(
                        where
                                + ": not an image in a supported format (JPEG, PNG, GIF); the"
                                + " file is corrupt or of another type");
            }
            ImageReader reader = readers.next();
            try {
                String format = reader.getFormatName().toLowerCase(java.util.Locale.ROOT);
                if (!FORMATS.contains(format)) {
                    throw new DataException(
                            where
                                    + ": a "
                                    + format.toUpperCase(java.util.Locale.ROOT)
                                    + " image; only JPEG, PNG and GIF are read, convert the file");
                }
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                reader.setInput(in, true, true);
                int[] size = headerSize(reader, where);
                int width = size[0];
                int height = size[1];
                if ((long) width * height > limits.imagePixels()) {
                    throw DataFiles.exceeded(
                            where,
                            "image of " + width + "x" + height + " pixels:",
                            (long) width * height,
                            "limits.image-pixels",
                            limits.imagePixels());
                }
                BufferedImage image = decodeFirst(reader, where);
                if (!warnings.isEmpty()) {
                    throw new DataException(
                            where
                                    + ": corrupt or truncated image ("
                                    + String.join("; ", warnings)
                                    + "); re-download the file");
                }
                return Rgb8.of(image, where);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new DataException(
                    where
                            + ": cannot decode image ("
                            + e.getMessage()
                            + "); the file is corrupt or truncated",
                    e);
        }
    }

    /**
     * Width and height of the first image, from the header. The GIF reader throws
     * IndexOutOfBoundsException here for a file with no image (found by fuzzing).
     */
    private static int[] headerSize(ImageReader reader, String where) throws IOException {
        try {
            return new int[] {reader.getWidth(0), reader.getHeight(0)};
        } catch (IllegalArgumentException
                | IllegalStateException
                | IndexOutOfBoundsException
                | NegativeArraySizeException e) {
            throw new DataException(
                    where + ": cannot read the image header (" + e + "); the file is corrupt", e);
        }
    }

    private static BufferedImage decodeFirst(ImageReader reader, String where) throws IOException {
        try {
            return reader.read(0);
        } catch (IllegalArgumentException
                | IllegalStateException
                | IndexOutOfBoundsException
                | NegativeArraySizeException e) {
            // The JDK decoders throw these on some malformed streams; they mean bad bytes, not a
            // bug here.
            throw new DataException(
                    where + ": cannot decode image (" + e + "); the file is corrupt", e);
        }
    }
}
