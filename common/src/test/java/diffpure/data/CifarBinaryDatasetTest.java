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
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarBinaryDatasetTest {
    private static final Configuration CONF = new Configuration();

    @TempDir Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void readsLabelsAndRgbPlanesInRecordOrder() throws IOException {
        Path file = write("test_batch.bin", DataFixtures.cifar(3, 0, 9));
        CifarBinaryDataset data = CifarBinaryDataset.open(file.toString(), CONF);
        assertEquals(3, data.size());
        assertEquals(10, data.classes());
        assertArrayEquals(new long[] {3, 32, 32}, data.imageShape());
        assertTrue(data.source().startsWith("file:") && data.source().endsWith("test_batch.bin"));
        for (int r = 0; r < 3; r++) {
            Sample s = data.get(r);
            assertEquals(r, s.id());
            assertEquals(new int[] {3, 0, 9}[r], s.label());
            assertEquals(3072, s.image().length);
            for (int c = 0; c < 3; c++) {
                for (int i : new int[] {0, 31, 32, 1023}) {
                    assertEquals(
                            DataFixtures.cifarPixel(r, c, i) / 255f,
                            s.image()[c * 1024 + i],
                            "r" + r + "c" + c);
                }
            }
        }
    }

    @Test
    void fileUriAndPlainPathReadTheSame() throws IOException {
        Path file = write("test_batch.bin", DataFixtures.cifar(1, 2));
        Sample a = CifarBinaryDataset.open(file.toString(), CONF).get(1);
        Sample b = CifarBinaryDataset.open(file.toUri().toString(), CONF).get(1);
        assertArrayEquals(a.image(), b.image());
        assertEquals(2, b.label());
    }

    @Test
    void batchesConcatenateWithContinuingIdsAndErrorsNameTheirFile() throws IOException {
        Path first = write("data_batch_1.bin", DataFixtures.cifar(1, 2));
        Path second = write("data_batch_2.bin", DataFixtures.cifar(4, 200, 6));
        CifarBinaryDataset data =
                CifarBinaryDataset.open(List.of(first.toString(), second.toString()), CONF);
        assertEquals(5, data.size());
        assertEquals(4, data.get(2).label());
        assertEquals(2, data.get(2).id());
        assertEquals(DataFixtures.cifarPixel(0, 1, 5) / 255f, data.get(2).image()[1024 + 5]);
        assertEquals(6, data.get(4).label());
        DataException e = assertThrows(DataException.class, () -> data.get(3));
        assertTrue(
                e.getMessage().contains("data_batch_2.bin")
                        && e.getMessage().contains("sample 3 (record 1)")
                        && e.getMessage().contains("label 200"),
                e.getMessage());
    }

    @Test
    void truncatedFileNamesFileAndIncompleteRecord() throws IOException {
        byte[] whole = DataFixtures.cifar(1, 2, 3);
        Path file = write("test_batch.bin", Arrays.copyOf(whole, whole.length - 100));
        DataException e =
                assertThrows(
                        DataException.class, () -> CifarBinaryDataset.open(file.toString(), CONF));
        assertTrue(
                e.getMessage().contains(file.toString())
                        && e.getMessage().contains("record 2 is incomplete"),
                e.getMessage());
    }

    @Test
    void emptyAndMissingFilesAreRejected() throws IOException {
        Path empty = write("empty.bin", new byte[0]);
        DataException e1 =
                assertThrows(
                        DataException.class, () -> CifarBinaryDataset.open(empty.toString(), CONF));
        assertTrue(e1.getMessage().contains("empty.bin"), e1.getMessage());
        String missing = dir.resolve("nope.bin").toString();
        DataException e2 =
                assertThrows(DataException.class, () -> CifarBinaryDataset.open(missing, CONF));
        assertTrue(
                e2.getMessage().contains(missing) && e2.getMessage().contains("not found"),
                e2.getMessage());
    }

    @Test
    void outOfRangeLabelFailsThatSampleOnlyAndContinueModeRecordsIt() throws IOException {
        Path file = write("test_batch.bin", DataFixtures.cifar(7, 10, 2));
        CifarBinaryDataset data = CifarBinaryDataset.open(file.toString(), CONF);
        DataException e = assertThrows(DataException.class, () -> data.get(1));
        assertTrue(
                e.getMessage().contains(file.toString())
                        && e.getMessage().contains("sample 1")
                        && e.getMessage().contains("label 10"),
                e.getMessage());
        SampleResult bad = data.tryGet(1);
        assertFalse(bad.isOk());
        assertEquals(1, bad.id());
        assertEquals(e.getMessage(), bad.error());
        SampleResult good = data.tryGet(2);
        assertTrue(good.isOk());
        assertEquals(2, good.sample().label());
    }

    @Test
    void indexOutsideTheSetIsAProgrammingError() throws IOException {
        Path file = write("test_batch.bin", DataFixtures.cifar(1));
        CifarBinaryDataset data = CifarBinaryDataset.open(file.toString(), CONF);
        assertThrows(IndexOutOfBoundsException.class, () -> data.tryGet(1));
    }
}
