package diffpure.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * An 8-bit RGB image, pixels interleaved (r, g, b) row by row: the form PIL and torchvision work
 * in, so resizing rounds to 8 bits between passes exactly as they do.
 */
record Rgb8(int width, int height, byte[] data) {
    Rgb8 {
        if (width < 1 || height < 1 || data.length != 3L * width * height) {
            throw new IllegalArgumentException(
                    width
                            + "x"
                            + height
                            + " RGB image needs "
                            + 3L * width * height
                            + " bytes, got "
                            + data.length);
        }
    }

    /**
     * The pixels of a decoded image as RGB, like PIL's {@code convert("RGB")}: grey is replicated
     * to three channels, alpha dropped, palettes looked up. Samples are taken from the raster,
     * never through {@code getRGB}, which would gamma-convert ImageIO's linear grey colour space.
     *
     * @throws DataException naming where when the colour model is not 8-bit grey or RGB (e.g. CMYK,
     *     16-bit)
     */
    static Rgb8 of(BufferedImage image, String where) {
        int w = image.getWidth();
        int h = image.getHeight();
        if (w < 1 || h < 1) {
            throw new DataException(where + ": empty image (" + w + "x" + h + ")");
        }
        byte[] out = new byte[3 * w * h];
        ColorModel cm = image.getColorModel();
        if (cm instanceof IndexColorModel) {
            int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < argb.length; i++) {
                out[3 * i] = (byte) (argb[i] >> 16);
                out[3 * i + 1] = (byte) (argb[i] >> 8);
                out[3 * i + 2] = (byte) argb[i];
            }
            return new Rgb8(w, h, out);
        }
        int colours = cm.getNumColorComponents();
        int space = cm.getColorSpace().getType();
        boolean grey = colours == 1 && space == ColorSpace.TYPE_GRAY;
        boolean rgb = colours == 3 && space == ColorSpace.TYPE_RGB;
        for (int b = 0; b < cm.getNumComponents(); b++) {
            if (cm.getComponentSize(b) != 8) {
                throw new DataException(
                        where
                                + ": "
                                + cm.getComponentSize(b)
                                + "-bit samples; only 8-bit grey or RGB images are supported,"
                                + " convert the file");
            }
        }
        if (!grey && !rgb) {
            throw new DataException(
                    where
                            + ": unsupported colour space ("
                            + colours
                            + " colour components, type "
                            + space
                            + "); convert the file to 8-bit RGB");
        }
        Raster raster = image.getRaster();
        int[] row = new int[w * raster.getNumBands()];
        int bands = raster.getNumBands();
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int o = 3 * (y * w + x);
                for (int c = 0; c < 3; c++) {
                    out[o + c] = (byte) row[x * bands + (grey ? 0 : c)];
                }
            }
        }
        return new Rgb8(w, h, out);
    }

    /** The w x h window whose top-left corner is (left, top). */
    Rgb8 crop(int left, int top, int w, int h) {
        if (left < 0 || top < 0 || left + w > width || top + h > height) {
            throw new IllegalArgumentException(
                    "crop "
                            + w
                            + "x"
                            + h
                            + "+"
                            + left
                            + "+"
                            + top
                            + " outside "
                            + width
                            + "x"
                            + height);
        }
        byte[] out = new byte[3 * w * h];
        for (int y = 0; y < h; y++) {
            System.arraycopy(data, 3 * ((top + y) * width + left), out, 3 * y * w, 3 * w);
        }
        return new Rgb8(w, h, out);
    }

    /** Float [3, H, W] in [0, 1], channel-major, like torchvision's ToTensor. */
    float[] toChw() {
        int plane = width * height;
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                out[c * plane + i] = (data[3 * i + c] & 0xFF) / 255f;
            }
        }
        return out;
    }
}
