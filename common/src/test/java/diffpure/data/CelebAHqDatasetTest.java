package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CelebAHqDatasetTest {
    private static final Configuration CONF = new Configuration();
    private static final String NAMES = "5_o_Clock_Shadow Eyeglasses Smiling";

    @TempDir Path dir;
    private Path images;

    @BeforeEach
    void writeImages() throws IOException {
        images = Files.createDirectory(dir.resolve("CelebA-HQ-img"));
        for (int i = 0; i < 3; i++) {
            Files.write(
                    images.resolve(i + ".jpg"),
                    DataFixtures.jpeg(DataFixtures.smoothRgb(64, 64, i)));
        }
        Files.write(images.resolve("3.jpg"), DataFixtures.jpeg(DataFixtures.smoothRgb(64, 48, 3)));
    }

    private String attributes(byte[] content) throws IOException {
        return Files.write(dir.resolve("CelebAMask-HQ-attribute-anno.txt"), content).toString();
    }

    private static void assertNames(DataException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void chosenAttributeGivesTwoClassLabelsAndImagesAreResized() throws IOException {
        String file =
                attributes(
                        DataFixtures.attributes(
                                3, NAMES, "0.jpg -1 1 -1", "1.jpg  1 -1  1", "2.jpg 1 1 1"));
        CelebAHqDataset glasses =
                CelebAHqDataset.open(images.toString(), file, "Eyeglasses", 32, CONF);
        assertEquals(3, glasses.size());
        assertEquals(2, glasses.classes());
        assertArrayEquals(new long[] {3, 32, 32}, glasses.imageShape());
        assertEquals(1, glasses.get(0).label());
        assertEquals(0, glasses.get(1).label());
        Sample s = glasses.get(2);
        assertEquals(2, s.id());
        assertEquals(3 * 32 * 32, s.image().length);
        // Red follows x: the left column is dark, the right bright; blue is the constant 2 * 37.
        assertTrue(s.image()[0] < 0.05f && s.image()[31] > 0.9f);
        assertEquals(74 / 255f, s.image()[2 * 1024 + 500], 3 / 255f);
        CelebAHqDataset smiling = CelebAHqDataset.open(images.toString(), file, "Smiling", CONF);
        assertArrayEquals(new long[] {3, 256, 256}, smiling.imageShape());
        assertEquals(0, smiling.get(0).label());
        assertEquals(256 * 256 * 3, smiling.get(1).image().length);
    }

    @Test
    void unknownAttributeNamesItAndTheFile() throws IOException {
        String file = attributes(DataFixtures.attributes(1, NAMES, "0.jpg 1 1 1"));
        assertNames(
                assertThrows(
                        DataException.class,
                        () -> CelebAHqDataset.open(images.toString(), file, "Smilling", CONF)),
                "'Smilling'",
                file,
                "Smiling");
    }

    @Test
    void truncatedAndMalformedAttributeFilesNameFileAndLine() throws IOException {
        String fewer = attributes(DataFixtures.attributes(3, NAMES, "0.jpg 1 1 1", "1.jpg 1 1 1"));
        assertNames(
                assertThrows(
                        DataException.class,
                        () -> CelebAHqDataset.open(images.toString(), fewer, "Smiling", CONF)),
                fewer,
                "announces 3 images but 2",
                "truncated");
        String shortRow = attributes(DataFixtures.attributes(2, NAMES, "0.jpg 1 1 1", "1.jpg 1 1"));
        assertNames(
                assertThrows(
                        DataException.class,
                        () -> CelebAHqDataset.open(images.toString(), shortRow, "Smiling", CONF)),
                shortRow + ":4",
                "found 2 values");
        String badCount = attributes(DataFixtures.text("thirty\n" + NAMES + "\n"));
        assertNames(
                assertThrows(
                        DataException.class,
                        () -> CelebAHqDataset.open(images.toString(), badCount, "Smiling", CONF)),
                badCount + ":1",
                "image count");
        String extra = attributes(DataFixtures.attributes(1, NAMES, "0.jpg 1 1 1", "1.jpg 1 1 1"));
        assertNames(
                assertThrows(
                        DataException.class,
                        () -> CelebAHqDataset.open(images.toString(), extra, "Smiling", CONF)),
                extra + ":4",
                "more image lines");
    }

    @Test
    void badValueAndNonSquareImageFailTheirSampleAndContinueModeRecordsThem() throws IOException {
        String file =
                attributes(
                        DataFixtures.attributes(
                                4,
                                NAMES,
                                "0.jpg 1 1 1",
                                "1.jpg 1 0 1",
                                "2.jpg 1 1 1",
                                "3.jpg 1 1 1"));
        CelebAHqDataset data =
                CelebAHqDataset.open(images.toString(), file, "Eyeglasses", 16, CONF);
        assertNames(
                assertThrows(DataException.class, () -> data.get(1)),
                file + ":4",
                "sample 1",
                "Eyeglasses = '0'");
        assertNames(
                assertThrows(DataException.class, () -> data.get(3)),
                "3.jpg",
                "sample 3",
                "64x48",
                "square");
        SampleResult[] results = new SampleResult[4];
        for (int i = 0; i < 4; i++) {
            results[i] = data.tryGet(i);
        }
        assertTrue(results[0].isOk() && results[2].isOk());
        assertFalse(results[1].isOk());
        assertFalse(results[3].isOk());
        assertEquals(3, results[3].id());
        assertTrue(results[3].error().contains("3.jpg"), results[3].error());
    }
}
