package diffpure.jobs.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import javax.imageio.ImageIO;

/**
 * Images of the gallery as PNG (the JDK's ImageIO): channel-major float pixels in [0, 1] (clamped),
 * one channel as gray, three as RGB, enlarged by an integer factor (nearest neighbour) to at least
 * {@link #MIN_SIDE} pixels on the longer side so that small images stay visible without smoothing.
 */
final class GalleryImages {
    /** The shortest longer side of an image in the page, in pixels. */
    static final int MIN_SIDE = 96;

    private GalleryImages() {}

    /** The enlargement of an image of this shape. */
    static int scale(int[] shape) {
        int side = Math.max(shape[1], shape[2]);
        return Math.max(1, (MIN_SIDE + side - 1) / side);
    }

    /** Base64 PNG of an image of shape [C, H, W]. */
    static String png(float[] pixels, int[] shape) {
        int c = shape[0];
        int h = shape[1];
        int w = shape[2];
        if (pixels.length != c * h * w) {
            throw new IllegalArgumentException(
                    pixels.length
                            + " pixels for an image of shape ["
                            + c
                            + ", "
                            + h
                            + ", "
                            + w
                            + "]");
        }
        int k = scale(shape);
        boolean rgb = c == 3;
        BufferedImage img =
                new BufferedImage(
                        w * k,
                        h * k,
                        rgb ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = byteOf(pixels[y * w + x]);
                int g = rgb ? byteOf(pixels[h * w + y * w + x]) : r;
                int bl = rgb ? byteOf(pixels[2 * h * w + y * w + x]) : r;
                for (int dy = 0; dy < k; dy++) {
                    for (int dx = 0; dx < k; dx++) {
                        // Samples written as they are: setRGB on a gray image would convert
                        // colour spaces and change the values.
                        if (rgb) {
                            img.setRGB(x * k + dx, y * k + dy, (r << 16) | (g << 8) | bl);
                        } else {
                            img.getRaster().setSample(x * k + dx, y * k + dy, 0, r);
                        }
                    }
                }
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /** A pixel in [0, 1] as 0..255 (clamped, rounded). */
    static int byteOf(float v) {
        return (int) Math.round(Math.max(0f, Math.min(1f, v)) * 255.0);
    }
}
