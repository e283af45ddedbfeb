package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ReadLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile inputs built here: each is refused by its limits.* check with an error naming the file,
 * the value and the limit, and the reading thread allocates under 1 MiB before the error (measured
 * with ThreadMXBean, not timed), so the check ran before any buffer of the claimed size.
 */
class LimitsBeforeAllocationTest {
    private static final long ONE_MIB = 1 << 20;

    @TempDir Path dir;

    private final Configuration conf = new Configuration();

    /** Runs e, which must throw type, and asserts the thread allocated under 1 MiB meanwhile. */
    static <T extends Throwable> T refusedCheaply(Class<T> type, Executable e) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        T error = assertThrows(type, e);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(
                allocated < ONE_MIB,
                "allocated " + allocated + " bytes before the error: " + error.getMessage());
        return error;
    }

    /** A 1 MiB gzip of 1024 members, each 1 MiB of zeros: 1 GiB once inflated. */
    private Path gzipBomb(String name) throws IOException {
        ByteArrayOutputStream member = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(member)) {
            gz.write(new byte[1 << 20]);
        }
        byte[] one = member.toByteArray();
        Path p = dir.resolve(name);
        try (var out = Files.newOutputStream(p)) {
            for (int i = 0; i < 1024; i++) {
                out.write(one);
            }
        }
        assertTrue(Files.size(p) <= 1100 * 1024, "bomb is " + Files.size(p) + " bytes");
        return p;
    }

    /** A file of the given length that takes no disk space (sparse). */
    private Path sparse(String name, long length) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(length);
        }
        return p;
    }

    private void warmUp() throws IOException {
        // Class loading and Hadoop's file-system cache allocate once per JVM; not what is measured.
        Path images = dir.resolve("warm-images.gz");
        Path labels = dir.resolve("warm-labels");
        Files.write(images, DataFixtures.gzip(DataFixtures.idxImages(2, 3, 3)));
        Files.write(labels, DataFixtures.idxLabels(0, 1));
        IdxDataset.open(images.toString(), labels.toString(), 10, conf).get(1);
        Path badImages = dir.resolve("warm-bad");
        Files.write(badImages, DataFixtures.idxImages(2, 3, 3));
        Files.write(badImages, new byte[] {0, 0, 8, 3}, java.nio.file.StandardOpenOption.APPEND);
        assertThrows(
                DataException.class,
                () -> IdxDataset.open(badImages.toString(), labels.toString(), 10, conf));
    }

    @Test
    void gzipBombIsRefusedByTheRatioBeforeItsBytesAreAllocated() throws IOException {
        warmUp();
        Path bomb = gzipBomb("t10k-images-idx3-ubyte.gz");
        Path labels = dir.resolve("labels");
        Files.write(labels, DataFixtures.idxLabels(0));
        DataException e =
                refusedCheaply(
                        DataException.class,
                        () -> IdxDataset.open(bomb.toString(), labels.toString(), 10, conf));
        assertTrue(e.getMessage().contains(bomb.getFileName().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("exceeds limits.gunzip-ratio = 100"), e.getMessage());
    }

    @Test
    void gzipBombIsRefusedByTheAbsoluteLimitWhenTheRatioIsRaised() throws IOException {
        warmUp();
        Path bomb = gzipBomb("data_batch_1.bin.gz");
        ReadLimits generousRatio =
                new ReadLimits(512L << 20, 64L << 20, 64L << 20, 1 << 20, 1000, 1 << 25, 1 << 20);
        DataException e =
                refusedCheaply(
                        DataException.class,
                        () ->
                                CifarBinaryDataset.open(
                                        List.of(bomb.toString()), conf, generousRatio));
        assertTrue(
                e.getMessage().contains("exceeds limits.gunzip-bytes = " + (64L << 20)),
                e.getMessage());
        assertTrue(e.getMessage().contains("data_batch_1.bin.gz"), e.getMessage());
    }

    @Test
    void fourGibCifarBatchIsRefusedFromItsSizeAlone() throws IOException {
        warmUp();
        Path batch = sparse("test_batch.bin", 4L << 30);
        DataException e =
                refusedCheaply(
                        DataException.class, () -> CifarBinaryDataset.open(batch.toString(), conf));
        assertTrue(
                e.getMessage()
                        .contains(
                                "test_batch.bin: file size 4294967296 exceeds limits.file-bytes = "
                                        + (512L << 20)),
                e.getMessage());
    }

    @Test
    void idxHeaderClaimingABillionImagesIsRefused() throws IOException {
        warmUp();
        Path images = dir.resolve("huge-idx3-ubyte");
        Files.write(
                images,
                ByteBuffer.allocate(16)
                        .putInt(2051)
                        .putInt(1_000_000_000)
                        .putInt(28)
                        .putInt(28)
                        .array());
        Path labels = dir.resolve("labels");
        Files.write(labels, DataFixtures.idxLabels(0));
        DataException e =
                refusedCheaply(
                        DataException.class,
                        () -> IdxDataset.open(images.toString(), labels.toString(), 10, conf));
        assertTrue(
                e.getMessage().contains("image count 1000000000 exceeds limits.samples = 10000000"),
                e.getMessage());
    }

    @Test
    void idxHeaderClaiming60000By60000ImagesIsRefused() throws IOException {
        warmUp();
        Path images = dir.resolve("wide-idx3-ubyte");
        Files.write(
                images,
                ByteBuffer.allocate(16).putInt(2051).putInt(1).putInt(60000).putInt(60000).array());
        Path labels = dir.resolve("labels");
        Files.write(labels, DataFixtures.idxLabels(0));
        DataException e =
                refusedCheaply(
                        DataException.class,
                        () -> IdxDataset.open(images.toString(), labels.toString(), 10, conf));
        assertTrue(
                e.getMessage()
                        .contains(
                                "image size 60000x60000 = 3600000000 exceeds"
                                        + " limits.idx-image-pixels = 1048576"),
                e.getMessage());
    }

    /** Patches the first SOF0 marker of a JPEG to claim width x height. */
    static byte[] jpegClaiming(int width, int height) {
        byte[] jpeg = DataFixtures.jpeg(DataFixtures.smoothRgb(8, 8, 1));
        for (int i = 0; i + 8 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xC0) {
                // FFC0, length (2), precision (1), height (2), width (2)
                ByteBuffer.wrap(jpeg, i + 5, 4).putShort((short) height).putShort((short) width);
                return jpeg;
            }
        }
        throw new AssertionError("no SOF0 marker in the fixture JPEG");
    }

    /** Patches a PNG's IHDR to claim width x height, with its CRC recomputed. */
    static byte[] pngClaiming(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(DataFixtures.smoothRgb(8, 8, 2), "png", out);
        byte[] png = out.toByteArray();
        // signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), ... CRC at 29
        ByteBuffer.wrap(png, 16, 8).putInt(width).putInt(height);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        ByteBuffer.wrap(png, 29, 4).putInt((int) crc.getValue());
        return png;
    }

    private ImageNetValDataset imageNetWith(String name, byte[] bytes) throws IOException {
        Path images = Files.createDirectories(dir.resolve("val"));
        Files.write(images.resolve("0good.png"), pngClaiming(8, 8));
        Files.write(images.resolve(name), bytes);
        Path labels = dir.resolve("val.txt");
        Files.writeString(labels, "0good.png 1\n" + name + " 2\n");
        ImageNetValDataset data =
                ImageNetValDataset.open(images.toString(), labels.toString(), conf);
        data.get(0); // warms up ImageIO's registry and the decoders
        return data;
    }

    @Test
    void jpegHeaderClaiming60000By60000IsRefusedBeforeDecoding() throws IOException {
        warmUp();
        ImageNetValDataset data =
                imageNetWith("ILSVRC2012_val_bomb.JPEG", jpegClaiming(60000, 60000));

        DataException e = refusedCheaply(DataException.class, () -> data.get(1));
        assertTrue(e.getMessage().contains("ILSVRC2012_val_bomb.JPEG (sample 1)"), e.getMessage());
        assertTrue(
                e.getMessage()
                        .contains(
                                "image of 60000x60000 pixels: 3600000000 exceeds"
                                        + " limits.image-pixels = 33554432"),
                e.getMessage());
    }

    @Test
    void pngHeaderClaiming60000By60000IsRefusedBeforeDecoding() throws IOException {
        warmUp();
        ImageNetValDataset data = imageNetWith("wide.png", pngClaiming(60000, 60000));
        DataException e = refusedCheaply(DataException.class, () -> data.get(1));
        assertTrue(e.getMessage().contains("wide.png (sample 1)"), e.getMessage());
        assertTrue(e.getMessage().contains("limits.image-pixels = 33554432"), e.getMessage());
    }

    @Test
    void thinImageWhoseResizeWouldBeHugeIsRefused() throws IOException {
        // 1 x 140000 pixels is small, but Resize(256) makes it 256 x 35840000.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(
                new java.awt.image.BufferedImage(
                        1, 140_000, java.awt.image.BufferedImage.TYPE_3BYTE_BGR),
                "png",
                out);
        ImageNetValDataset data = imageNetWith("thin.png", out.toByteArray());
        DataException e = assertThrows(DataException.class, () -> data.get(1));
        assertTrue(
                e.getMessage()
                        .contains(
                                "image of 1x140000 resizes to 256x35840000 = 9175040000 exceeds"
                                        + " limits.image-pixels"),
                e.getMessage());
    }

    @Test
    void labelsFileOfOneGibIsRefusedFromItsSize() throws IOException {
        warmUp();
        Path labels = sparse("val.txt", 1L << 30);
        DataException e =
                refusedCheaply(
                        DataException.class,
                        () -> ImageNetValDataset.open(dir.toString(), labels.toString(), conf));
        assertTrue(
                e.getMessage().contains("exceeds limits.text-file-bytes = " + (64L << 20)),
                e.getMessage());
    }

    @Test
    void attributeFileAnnouncingABillionImagesIsRefused() throws IOException {
        warmUp();
        Path attrs = dir.resolve("CelebAMask-HQ-attribute-anno.txt");
        Files.write(
                attrs, DataFixtures.attributes(1_000_000_000, "Eyeglasses Smiling", "0.jpg 1 -1"));
        DataException e =
                refusedCheaply(
                        DataException.class,
                        () ->
                                CelebAHqDataset.open(
                                        dir.toString(), attrs.toString(), "Smiling", conf));
        assertTrue(
                e.getMessage()
                        .contains(
                                "CelebAMask-HQ-attribute-anno.txt:1: image count 1000000000 exceeds"
                                        + " limits.samples = 10000000"),
                e.getMessage());
    }

    @Test
    void imageNetLabelsWithMoreLinesThanTheSampleLimitAreRefused() throws IOException {
        Path labels = dir.resolve("val.txt");
        Files.writeString(labels, "a.JPEG 1\nb.JPEG 2\nc.JPEG 3\n");
        ReadLimits two = new ReadLimits(1 << 20, 1 << 20, 1 << 20, 100, 2, 1 << 20, 1 << 20);
        DataException e =
                assertThrows(
                        DataException.class,
                        () ->
                                ImageNetValDataset.open(
                                        dir.toString(), labels.toString(), 1000, conf, two));
        assertTrue(
                e.getMessage()
                        .contains("val.txt:3: more image lines than 2 exceeds limits.samples = 2"),
                e.getMessage());
    }

    @Test
    void limitsBelowOneAreRejected() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> new ReadLimits(0, 1, 1, 1, 1, 1, 1));
        assertEquals("every read limit must be >= 1", e.getMessage());
    }
}
