package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import diffpure.config.ReadLimits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzz tests of every data reader (Jazzer; docs/operations.md, bad input).
 * Property: every input ends in a data set whose samples read, or in a {@link DataException} naming
 * the file (an explicit check: the readers hold no catch-all), never another exception or a hang,
 * and the thread allocates at most {@link #ALLOCATION_BOUND} bytes per input under the tight {@link
 * #LIMITS}.
 *
 * <p>{@code mvn -B test} replays the committed corpus (src/test/resources/diffpure/data/
 * ReadersFuzzTestInputs/&lt;method&gt;/): seeds and one regression input per finding. Fuzzing one
 * target for a given time: {@code JAZZER_FUZZ=1 mvn -B -pl common test -Dtest='ReadersFuzzTest#idx'
 * -Djunit.jupiter.execution.timeout.mode=disabled}, for MAX_DURATION (docs/operations.md, bad
 * input). Jazzer instruments this project's classes, not java.*: ImageIO's and java.util.zip's
 * decoders run under the fuzzer but give no coverage feedback, so the image and gzip targets mutate
 * blindly inside them and with guidance around them.
 */
class ReadersFuzzTest {
    /** How long {@code JAZZER_FUZZ=1} fuzzes one target (docs/operations.md, bad input). */
    static final String MAX_DURATION = "10m";

    /** One input running longer is a hang (a finding while fuzzing, a failure in regression). */
    static final long INPUT_SECONDS = 10;

    /** Tight limits, so that what is accepted stays cheap and the limits themselves are fuzzed. */
    static final ReadLimits LIMITS =
            new ReadLimits(1 << 20, 1 << 20, 1 << 20, 100, 4096, 1 << 20, 1 << 16);

    /** Most bytes one input may make the thread allocate: the limits plus decoding and resizing. */
    static final long ALLOCATION_BOUND = 256L << 20;

    /** Samples read per input, to keep one input's work bounded. */
    private static final int SAMPLES_READ = 16;

    private static final Configuration CONF = new Configuration();
    private static final Path DIR = tempDir();

    private static void deleteTree(Path dir) {
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort at JVM exit: a leftover temporary folder is harmless.
        }
    }

    private static Path tempDir() {
        try {
            Path shm = Path.of("/dev/shm");
            Path dir =
                    Files.isDirectory(shm) && Files.isWritable(shm)
                            ? Files.createTempDirectory(shm, "diffpure-fuzz")
                            : Files.createTempDirectory("diffpure-fuzz");
            // /dev/shm is memory: leave nothing behind when the JVM ends.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static {
        // Loading (and, while fuzzing, instrumenting) classes allocates on first use; the bound is
        // about what an input makes the readers allocate, so load them first.
        Path img =
                write(
                        "warm-images-idx3-ubyte.gz",
                        DataFixtures.gzip(DataFixtures.idxImages(1, 2, 2)));
        Path lab = write("warm-labels-idx1-ubyte", DataFixtures.idxLabels(1));
        IdxDataset.open(img.toString(), lab.toString(), 10, CONF, LIMITS).get(0);
        Path images = dir("warm");
        write("warm/a.jpg", DataFixtures.jpeg(DataFixtures.smoothRgb(8, 8, 1)));
        Path labels = write("warm-val.txt", "a.jpg 1\n".getBytes());
        ImageNetValDataset.open(images.toString(), labels.toString(), 1000, CONF, LIMITS).get(0);
    }

    private static Path write(String name, byte[] bytes) {
        try {
            return Files.write(DIR.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs open and reads up to {@link #SAMPLES_READ} samples; a DataException must name the file
     * at fault: fileName, or for a sample the image file, which lies in imageDir.
     */
    private static void check(String fileName, String imageDir, Supplier<ImageDataset> open) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try {
            ImageDataset data = open.get();
            for (int i = 0; i < Math.min(data.size(), SAMPLES_READ); i++) {
                SampleResult r = data.tryGet(i);
                if (r.error() != null) {
                    assertTrue(
                            r.error().contains(fileName) || r.error().contains(imageDir + "/"),
                            r.error());
                } else {
                    assertTrue(r.sample().image().length > 0);
                }
            }
        } catch (DataException e) {
            assertTrue(e.getMessage().contains(fileName), e.getMessage());
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated <= ALLOCATION_BOUND, "allocated " + allocated + " bytes");
    }

    /** The labels file an images file of n images needs (0 when n is out of reach). */
    private static byte[] labelsFor(byte[] images) {
        int n = images.length >= 8 ? ByteBuffer.wrap(images).getInt(4) : 0;
        n = n < 0 || n > LIMITS.samples() ? 0 : n;
        ByteBuffer b = ByteBuffer.allocate(8 + n).putInt(2049).putInt(n);
        for (int i = 0; i < n; i++) {
            b.put((byte) (i % 10));
        }
        return b.array();
    }

    /** The first 16 inflated bytes, or none when the bytes are not gzip (the reader says so). */
    private static byte[] inflatedHeader(byte[] gzipped) {
        try (java.io.InputStream in =
                new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gzipped))) {
            return in.readNBytes(16);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** The IDX images file as given, with a matching labels file. */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void idx(byte[] images) {
        Path img = write("fuzz-images-idx3-ubyte", images);
        Path lab = write("fuzz-labels-idx1-ubyte", labelsFor(images));
        check(
                "fuzz-",
                "fuzz-",
                () -> IdxDataset.open(img.toString(), lab.toString(), 10, CONF, LIMITS));
    }

    /** The IDX labels file as given, with three 2x2 images. */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void idxLabels(byte[] labels) {
        Path img = write("fuzz-images-idx3-ubyte", DataFixtures.idxImages(3, 2, 2));
        Path lab = write("fuzz-labels-idx1-ubyte", labels);
        check(
                "fuzz-",
                "fuzz-",
                () -> IdxDataset.open(img.toString(), lab.toString(), 10, CONF, LIMITS));
    }

    /** The bytes as a ".gz" IDX images file (gzip framing and inflated content both fuzzed). */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void idxGzip(byte[] gzipped) {
        Path img = write("fuzz-images-idx3-ubyte.gz", gzipped);
        Path lab = write("fuzz-labels-idx1-ubyte", labelsFor(inflatedHeader(gzipped)));
        check(
                "fuzz-",
                "fuzz-",
                () -> IdxDataset.open(img.toString(), lab.toString(), 10, CONF, LIMITS));
    }

    /** A CIFAR-10 binary batch file. */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void cifar(byte[] batch) {
        Path p = write("fuzz_batch.bin", batch);
        check(
                "fuzz_batch.bin",
                "fuzz_batch.bin",
                () -> CifarBinaryDataset.open(List.of(p.toString()), CONF, LIMITS));
    }

    /** An ImageNet labels file (val.txt); the images it names do not exist. */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void imageNetLabels(byte[] labels) {
        Path p = write("fuzz-val.txt", labels);
        Path images = DIR.resolve("no-images");
        check(
                "fuzz-val.txt",
                "no-images",
                () -> ImageNetValDataset.open(images.toString(), p.toString(), 1000, CONF, LIMITS));
    }

    /** One ImageNet image file: decoding, Resize(256), CenterCrop(224). */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void imageNetImage(byte[] image) {
        Path images = dir("imagenet");
        write("imagenet/fuzz.JPEG", image);
        Path labels = write("imagenet-val.txt", "fuzz.JPEG 7\n".getBytes());
        check(
                "fuzz.JPEG",
                "imagenet",
                () ->
                        ImageNetValDataset.open(
                                images.toString(), labels.toString(), 1000, CONF, LIMITS));
    }

    /** A CelebAMask-HQ attribute file; the images it names do not exist. */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void celebAAttributes(byte[] attributes) {
        Path p = write("fuzz-attribute-anno.txt", attributes);
        Path images = DIR.resolve("no-images");
        check(
                "fuzz-attribute-anno.txt",
                "no-images",
                () ->
                        CelebAHqDataset.open(
                                images.toString(), p.toString(), "Smiling", 64, CONF, LIMITS));
    }

    /** One CelebA-HQ image file: decoding, the square check, resizing to 64 x 64. */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void celebAImage(byte[] image) {
        Path images = dir("celeba");
        write("celeba/fuzz.jpg", image);
        Path attrs =
                write(
                        "celeba-attribute-anno.txt",
                        DataFixtures.attributes(1, "Eyeglasses Smiling", "fuzz.jpg -1 1"));
        check(
                "fuzz.jpg",
                "celeba",
                () ->
                        CelebAHqDataset.open(
                                images.toString(), attrs.toString(), "Smiling", 64, CONF, LIMITS));
    }

    private static Path dir(String name) {
        try {
            return Files.createDirectories(DIR.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
