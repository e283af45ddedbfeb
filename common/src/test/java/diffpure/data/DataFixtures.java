package diffpure.data;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.zip.GZIPOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writes small files in each format the readers accept, byte for byte as the real data sets lay
 * them out.
 */
final class DataFixtures {
    private DataFixtures() {}

    /**
     * Pixel value of CIFAR record r, plane c, position i: distinct enough to catch layout mistakes.
     */
    static int cifarPixel(int record, int plane, int i) {
        return (record * 31 + plane * 85 + i * 7) & 0xFF;
    }

    /** CIFAR-10 binary records with the given labels (one byte each, then R, G, B planes). */
    static byte[] cifar(int... labels) {
        byte[] out = new byte[labels.length * CifarBinaryDataset.RECORD];
        for (int r = 0; r < labels.length; r++) {
            int o = r * CifarBinaryDataset.RECORD;
            out[o] = (byte) labels[r];
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 1024; i++) {
                    out[o + 1 + c * 1024 + i] = (byte) cifarPixel(r, c, i);
                }
            }
        }
        return out;
    }

    /** IDX images file: magic 2051, n, h, w, then pixel (k, y, x) = k + 3y + 5x (mod 256). */
    static byte[] idxImages(int n, int h, int w) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * h * w);
        b.putInt(2051).putInt(n).putInt(h).putInt(w);
        for (int k = 0; k < n; k++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    b.put((byte) (k + 3 * y + 5 * x));
                }
            }
        }
        return b.array();
    }

    /** IDX labels file: magic 2049, n, labels. */
    static byte[] idxLabels(int... labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(2049).putInt(labels.length);
        for (int l : labels) {
            b.put((byte) l);
        }
        return b.array();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A smooth RGB test image: red follows x, green follows y, blue is fixed by seed. */
    static BufferedImage smoothRgb(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster r = img.getRaster();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.setPixel(
                        x,
                        y,
                        new int[] {
                            x * 255 / Math.max(1, w - 1),
                            y * 255 / Math.max(1, h - 1),
                            (seed * 37) & 0xFF
                        });
            }
        }
        return img;
    }

    /** A smooth grey image (ImageIO's linear grey colour space). */
    static BufferedImage smoothGrey(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = img.getRaster();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.setSample(x, y, 0, 40 + (x + y) * 150 / (w + h));
            }
        }
        return img;
    }

    /** The image as a JPEG at quality 0.95, written by ImageIO. */
    static byte[] jpeg(BufferedImage img) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.95f);
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** A CelebAMask-HQ attribute file: count line, names line, then "name v1 v2 ..." lines. */
    static byte[] attributes(int count, String names, String... rows) {
        StringBuilder s = new StringBuilder().append(count).append('\n').append(names).append('\n');
        for (String row : rows) {
            s.append(row).append('\n');
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
