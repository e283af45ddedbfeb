package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageNetValDatasetTest {
    private static final Configuration CONF = new Configuration();

    @TempDir Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static void assertNames(DataException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    /**
     * Mean absolute difference between the dataset image and the transform of the uncompressed
     * image.
     */
    private static double meanDiff(float[] got, BufferedImage original) {
        float[] want = ImageNetValDataset.evalTransform(Rgb8.of(original, "original")).toChw();
        double sum = 0;
        for (int i = 0; i < want.length; i++) {
            sum += Math.abs(got[i] - want[i]);
        }
        return sum / want.length;
    }

    @Test
    void idsFollowSortedFileNamesAndImagesGoThroughResizeAndCrop() throws IOException {
        BufferedImage wide = DataFixtures.smoothRgb(320, 240, 1);
        BufferedImage tall = DataFixtures.smoothRgb(250, 400, 2);
        write("ILSVRC2012_val_00000002.JPEG", DataFixtures.jpeg(wide));
        write("ILSVRC2012_val_00000001.JPEG", DataFixtures.jpeg(tall));
        Path labels =
                write(
                        "val.txt",
                        DataFixtures.text(
                                "ILSVRC2012_val_00000002.JPEG 65\n"
                                        + "ILSVRC2012_val_00000001.JPEG 970\n\n"));
        ImageNetValDataset data = ImageNetValDataset.open(dir.toString(), labels.toString(), CONF);
        assertEquals(2, data.size());
        assertEquals(1000, data.classes());
        assertArrayEquals(new long[] {3, 224, 224}, data.imageShape());
        assertEquals("ILSVRC2012_val_00000001.JPEG", data.fileName(0));
        Sample first = data.get(0);
        Sample second = data.get(1);
        assertEquals(0, first.id());
        assertEquals(970, first.label());
        assertEquals(65, second.label());
        assertEquals(3 * 224 * 224, second.image().length);
        // JPEG at quality 0.95 moves smooth images by well under 1% of the range.
        assertTrue(meanDiff(first.image(), tall) < 0.01, "tall " + meanDiff(first.image(), tall));
        assertTrue(meanDiff(second.image(), wide) < 0.01, "wide " + meanDiff(second.image(), wide));
    }

    @Test
    void resizeTargetsFollowTorchvision() {
        assertArrayEquals(new int[] {341, 256}, ImageNetValDataset.resizedSize(500, 375));
        assertArrayEquals(new int[] {256, 341}, ImageNetValDataset.resizedSize(375, 500));
        assertArrayEquals(new int[] {256, 256}, ImageNetValDataset.resizedSize(1000, 1000));
        assertArrayEquals(new int[] {512, 256}, ImageNetValDataset.resizedSize(100, 50));
    }

    @Test
    void centreCropRoundsHalvesToEvenAsPython() {
        // Red encodes the column, green the row; 256-high images are not resized.
        for (int width : new int[] {341, 343}) {
            byte[] px = new byte[3 * width * 256];
            for (int y = 0; y < 256; y++) {
                for (int x = 0; x < width; x++) {
                    px[3 * (y * width + x)] = (byte) x;
                    px[3 * (y * width + x) + 1] = (byte) y;
                }
            }
            Rgb8 out = ImageNetValDataset.evalTransform(new Rgb8(width, 256, px));
            // (341 - 224) / 2 = 58.5 -> 58; (343 - 224) / 2 = 59.5 -> 60; the top offset is 16.
            assertEquals(
                    width == 341 ? 58 : 60, out.data()[0] & 0xFF, "left offset for width " + width);
            assertEquals(16, out.data()[1] & 0xFF);
        }
    }

    @Test
    void greyJpegBecomesThreeEqualChannelsWithoutGammaShift() throws IOException {
        BufferedImage grey = DataFixtures.smoothGrey(256, 256);
        write("g.JPEG", DataFixtures.jpeg(grey));
        Path labels = write("val.txt", DataFixtures.text("g.JPEG 3\n"));
        float[] img =
                ImageNetValDataset.open(dir.toString(), labels.toString(), CONF).get(0).image();
        int plane = 224 * 224;
        for (int i = 0; i < plane; i += 97) {
            assertEquals(img[i], img[plane + i]);
            assertEquals(img[i], img[2 * plane + i]);
        }
        // Crop pixel (16, 16) is original (32, 32): 40 + 64 * 150 / 512 = 58. Read through getRGB,
        // ImageIO's
        // linear grey would come out near 130.
        assertEquals(58 / 255f, img[16 * 224 + 16], 3 / 255f);
    }

    @Test
    void corruptTruncatedAndMissingImagesFailTheirSampleOnly() throws IOException {
        byte[] good = DataFixtures.jpeg(DataFixtures.smoothRgb(300, 300, 3));
        write("a.JPEG", good);
        write("b.JPEG", Arrays.copyOf(good, good.length / 2));
        byte[] garbage = good.clone();
        Arrays.fill(garbage, 0, 64, (byte) 0x5A);
        write("c.JPEG", garbage);
        Path labels =
                write("val.txt", DataFixtures.text("a.JPEG 1\nb.JPEG 2\nc.JPEG 3\nd.JPEG 4\n"));
        ImageNetValDataset data = ImageNetValDataset.open(dir.toString(), labels.toString(), CONF);
        assertEquals(1, data.get(0).label());
        assertNames(
                assertThrows(DataException.class, () -> data.get(1)),
                "b.JPEG",
                "sample 1",
                "truncated");
        assertNames(assertThrows(DataException.class, () -> data.get(2)), "c.JPEG", "sample 2");
        assertNames(assertThrows(DataException.class, () -> data.get(3)), "d.JPEG", "not found");
        SampleResult missing = data.tryGet(3);
        assertFalse(missing.isOk());
        assertEquals(3, missing.id());
        assertTrue(missing.error().contains("d.JPEG"), missing.error());
        assertTrue(data.tryGet(0).isOk());
    }

    @Test
    void bmpTiffAndEmptyGifAreRefusedNamingFileAndSample() throws IOException {
        for (String format : new String[] {"bmp", "tiff"}) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(DataFixtures.smoothRgb(8, 8, 1), format, out);
            write("a." + format, out.toByteArray());
        }
        // A GIF header and screen descriptor with no image: GIFImageReader.getWidth threw
        // IndexOutOfBoundsException (fuzzing finding).
        write("c.gif", DataFixtures.text("GIF89a\u0001\u0000\u0001\u0000\u0000\u0000\u0000;"));
        Path labels = write("val.txt", DataFixtures.text("a.bmp 1\na.tiff 2\nc.gif 3\n"));
        ImageNetValDataset data = ImageNetValDataset.open(dir.toString(), labels.toString(), CONF);
        assertNames(
                assertThrows(DataException.class, () -> data.get(0)),
                "a.bmp (sample 0)",
                "a BMP image; only JPEG, PNG and GIF are read");
        assertNames(
                assertThrows(DataException.class, () -> data.get(1)),
                "a.tiff (sample 1)",
                "only JPEG, PNG and GIF are read");
        assertNames(assertThrows(DataException.class, () -> data.get(2)), "c.gif (sample 2)");
    }

    @Test
    void outOfRangeLabelNamesLabelsFileLineAndSample() throws IOException {
        write("a.JPEG", DataFixtures.jpeg(DataFixtures.smoothRgb(64, 64, 4)));
        write("b.JPEG", DataFixtures.jpeg(DataFixtures.smoothRgb(64, 64, 5)));
        Path labels = write("val.txt", DataFixtures.text("b.JPEG 1000\na.JPEG 999\n"));
        ImageNetValDataset data = ImageNetValDataset.open(dir.toString(), labels.toString(), CONF);
        assertEquals(999, data.get(0).label());
        assertNames(
                assertThrows(DataException.class, () -> data.get(1)),
                "val.txt:1",
                "sample 1",
                "b.JPEG",
                "label 1000");
        assertFalse(data.tryGet(1).isOk());
    }

    @Test
    void malformedLabelsFilesNameFileAndLine() throws IOException {
        Path noLabel = write("l1.txt", DataFixtures.text("a.JPEG 1\nb.JPEG\n"));
        assertNames(
                assertThrows(
                        DataException.class,
                        () -> ImageNetValDataset.open(dir.toString(), noLabel.toString(), CONF)),
                "l1.txt:2",
                "expected 'filename label'");
        Path notInt = write("l2.txt", DataFixtures.text("a.JPEG one\n"));
        assertNames(
                assertThrows(
                        DataException.class,
                        () -> ImageNetValDataset.open(dir.toString(), notInt.toString(), CONF)),
                "l2.txt:1",
                "not an integer");
        Path twice = write("l3.txt", DataFixtures.text("a.JPEG 1\na.JPEG 2\n"));
        assertNames(
                assertThrows(
                        DataException.class,
                        () -> ImageNetValDataset.open(dir.toString(), twice.toString(), CONF)),
                "l3.txt:2",
                "listed twice");
        Path empty = write("l4.txt", DataFixtures.text("\n"));
        assertNames(
                assertThrows(
                        DataException.class,
                        () -> ImageNetValDataset.open(dir.toString(), empty.toString(), CONF)),
                "l4.txt",
                "empty");
    }
}
