package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDatasetTest {
    private static final Configuration CONF = new Configuration();

    @TempDir Path dir;

    private String write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes).toString();
    }

    private static void assertNames(DataException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void readsGzippedImagesAndLabels() throws IOException {
        String images =
                write("imgs-idx3-ubyte.gz", DataFixtures.gzip(DataFixtures.idxImages(3, 4, 5)));
        String labels =
                write("labels-idx1-ubyte.gz", DataFixtures.gzip(DataFixtures.idxLabels(9, 0, 4)));
        IdxDataset data = IdxDataset.open(images, labels, 10, CONF);
        assertEquals(3, data.size());
        assertArrayEquals(new long[] {1, 4, 5}, data.imageShape());
        Sample s = data.get(2);
        assertEquals(2, s.id());
        assertEquals(4, s.label());
        assertEquals((2 + 3 * 1 + 5 * 2) / 255f, s.image()[1 * 5 + 2]);
    }

    @Test
    void uncompressedFilesAndTheLocalPathShortcutRead() throws IOException {
        String images = write("imgs-idx3-ubyte", DataFixtures.idxImages(2, 2, 2));
        String labels = write("labels-idx1-ubyte", DataFixtures.idxLabels(1, 1));
        IdxDataset data = IdxDataset.read(Path.of(images), Path.of(labels), 2);
        assertEquals(2, data.size());
        assertEquals((1 + 3 + 5) / 255f, data.get(1).image()[3]);
    }

    @Test
    void theDemoFashionMnistFilesRead() {
        Path root = Path.of(System.getProperty("diffpure.repo.root", ".."), "models/demo/data");
        IdxDataset data =
                IdxDataset.read(
                        root.resolve("t10k-images-idx3-ubyte.gz"),
                        root.resolve("t10k-labels-idx1-ubyte.gz"),
                        10);
        assertArrayEquals(new long[] {1, 28, 28}, data.imageShape());
        assertTrue(data.size() > 0);
        assertTrue(data.get(data.size() - 1).label() < 10);
    }

    @Test
    void badMagicNamesTheFile() throws IOException {
        byte[] img = DataFixtures.idxImages(1, 2, 2);
        img[3] = 4; // 2052
        String images = write("imgs", img);
        String labels = write("labels", DataFixtures.idxLabels(0));
        assertNames(
                assertThrows(DataException.class, () -> IdxDataset.open(images, labels, 10, CONF)),
                images,
                "magic 2051",
                "found 2052");
        String swapped = write("swapped", DataFixtures.idxImages(1, 2, 2));
        assertNames(
                assertThrows(
                        DataException.class, () -> IdxDataset.open(swapped, swapped, 10, CONF)),
                swapped,
                "magic 2049");
    }

    @Test
    void truncatedImagesNameTheFile() throws IOException {
        byte[] img = DataFixtures.idxImages(3, 4, 4);
        String images = write("imgs", Arrays.copyOf(img, img.length - 5));
        String labels = write("labels", DataFixtures.idxLabels(0, 1, 2));
        assertNames(
                assertThrows(DataException.class, () -> IdxDataset.open(images, labels, 10, CONF)),
                images,
                "header says 3 images of 4x4",
                "truncated");
    }

    @Test
    void truncatedGzipNamesTheFile() throws IOException {
        byte[] gz = DataFixtures.gzip(DataFixtures.idxImages(20, 8, 8));
        String images = write("imgs.gz", Arrays.copyOf(gz, gz.length / 2));
        String labels = write("labels", DataFixtures.idxLabels(new int[20]));
        assertNames(
                assertThrows(DataException.class, () -> IdxDataset.open(images, labels, 10, CONF)),
                images,
                "truncated or corrupt");
    }

    @Test
    void notGzipDespiteTheNameNamesTheFile() throws IOException {
        String images = write("imgs.gz", DataFixtures.idxImages(1, 2, 2));
        String labels = write("labels", DataFixtures.idxLabels(0));
        assertNames(
                assertThrows(DataException.class, () -> IdxDataset.open(images, labels, 10, CONF)),
                images,
                "Not in GZIP format");
    }

    @Test
    void countMismatchAndTruncatedLabelsNameTheLabelsFile() throws IOException {
        String images = write("imgs", DataFixtures.idxImages(3, 2, 2));
        String two = write("two", DataFixtures.idxLabels(0, 1));
        assertNames(
                assertThrows(DataException.class, () -> IdxDataset.open(images, two, 10, CONF)),
                two,
                "2 labels for 3 images");
        byte[] lab = DataFixtures.idxLabels(0, 1, 2);
        String cut = write("cut", Arrays.copyOf(lab, lab.length - 1));
        assertNames(
                assertThrows(DataException.class, () -> IdxDataset.open(images, cut, 10, CONF)),
                cut,
                "header says 3 labels",
                "truncated");
    }

    @Test
    void outOfRangeLabelFailsThatSampleAndContinueModeRecordsIt() throws IOException {
        String images = write("imgs", DataFixtures.idxImages(3, 2, 2));
        String labels = write("labels", DataFixtures.idxLabels(0, 12, 2));
        IdxDataset data = IdxDataset.open(images, labels, 10, CONF);
        assertNames(
                assertThrows(DataException.class, () -> data.get(1)),
                labels,
                "sample 1",
                "label 12");
        SampleResult r = data.tryGet(1);
        assertFalse(r.isOk());
        assertTrue(r.error().contains("sample 1") && r.error().contains(labels), r.error());
        assertTrue(data.tryGet(2).isOk());
        // Planning reads labels alone: the same label and the same error, without pixels.
        assertEquals(2, data.label(2));
        assertEquals(data.get(0).label(), data.label(0));
        assertNames(
                assertThrows(DataException.class, () -> data.label(1)),
                labels,
                "sample 1",
                "label 12");
    }
}
