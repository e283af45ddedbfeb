package diffpure.jobs.cli;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Small generated data sets in the formats of the paper's settings (CIFAR-10 binary batch, ImageNet
 * JPEG folder + labels file, CelebA-HQ images + attribute file), and the stand-in models of
 * tools/test_fixtures.py at the real shapes, for tests that run conf/experiments/*.conf.
 */
final class PaperData {
    static final Path ROOT = Path.of(System.getProperty("diffpure.repo.root", ".."));
    static final Path FIXTURES = ROOT.resolve("common/src/test/resources/fixtures");

    private PaperData() {}

    /** A smooth colour image whose pattern depends on the seed. */
    static BufferedImage image(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster r = img.getRaster();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.setPixel(
                        x,
                        y,
                        new int[] {
                            (x * 255 / Math.max(1, w - 1) + 40 * seed) & 0xFF,
                            y * 255 / Math.max(1, h - 1),
                            (seed * 37 + (x ^ y)) & 0xFF
                        });
            }
        }
        return img;
    }

    private static void jpeg(BufferedImage img, Path file) {
        try {
            if (!ImageIO.write(img, "jpeg", file.toFile())) {
                throw new IllegalStateException("no JPEG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A CIFAR-10 test_batch.bin with n records, labels i % 10. */
    static Path cifar(Path dir, int n) throws IOException {
        byte[] data = new byte[n * 3073];
        for (int i = 0; i < n; i++) {
            data[i * 3073] = (byte) (i % 10);
            for (int j = 1; j < 3073; j++) {
                data[i * 3073 + j] = (byte) ((j * 7 + i * 31) & 0xFF);
            }
        }
        Files.createDirectories(dir);
        return Files.write(dir.resolve("test_batch.bin"), data);
    }

    /**
     * n ImageNet-style JPEGs of different sizes and aspect ratios in dir/val and dir/val.txt ("name
     * label", labels spread over 0..999).
     */
    static void imagenet(Path dir, int n) throws IOException {
        Path val = Files.createDirectories(dir.resolve("val"));
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String name = String.format("ILSVRC2012_val_%08d.JPEG", i + 1);
            jpeg(image(260 + 37 * i, 300 - 23 * i, i), val.resolve(name));
            labels.append(name).append(' ').append((i * 389) % 1000).append('\n');
        }
        Files.writeString(dir.resolve("val.txt"), labels, StandardCharsets.UTF_8);
    }

    /** n CelebA-HQ-style square JPEGs in dir/images and the attribute file. */
    static void celebaHq(Path dir, int n) throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        StringBuilder attrs = new StringBuilder().append(n).append("\nEyeglasses Smiling\n");
        for (int i = 0; i < n; i++) {
            String name = i + ".jpg";
            jpeg(image(300, 300, i), images.resolve(name));
            attrs.append(name)
                    .append(' ')
                    .append(i % 2 == 0 ? 1 : -1)
                    .append(' ')
                    .append(i % 3 == 0 ? 1 : -1)
                    .append('\n');
        }
        Files.writeString(
                dir.resolve("CelebAMask-HQ-attribute-anno.txt"), attrs, StandardCharsets.UTF_8);
    }

    /** --set overrides that point an experiment at the generated data and the stand-ins. */
    static String[] overrides(String experiment, Path data) {
        if (experiment.startsWith("cifar10-lf")) {
            // LF's bound is measured by a perceptual model: a stand-in LPIPS of the CIFAR-10 shape
            return new String[] {
                "data.paths=[\"" + data.resolve("cifar/test_batch.bin") + "\"]",
                "model.score-model=" + FIXTURES.resolve("standin-eps-3x32.pt"),
                "model.classifier=" + FIXTURES.resolve("standin-classifier-3x32-c10.pt"),
                "model.perceptual=" + FIXTURES.resolve("exported/standin-perceptual-3x32.pt")
            };
        }
        if (experiment.startsWith("cifar10")) {
            return new String[] {
                "data.paths=[\"" + data.resolve("cifar/test_batch.bin") + "\"]",
                "model.score-model=" + FIXTURES.resolve("standin-eps-3x32.pt"),
                "model.classifier=" + FIXTURES.resolve("standin-classifier-3x32-c10.pt")
            };
        }
        if (experiment.startsWith("imagenet")) {
            return new String[] {
                "data.images=" + data.resolve("imagenet/val"),
                "data.labels=" + data.resolve("imagenet/val.txt"),
                "model.score-model=" + FIXTURES.resolve("standin-eps-3x256.pt"),
                "model.classifier=" + FIXTURES.resolve("standin-classifier-3x224-c1000.pt")
            };
        }
        if (experiment.startsWith("celebahq")) {
            return new String[] {
                "data.images=" + data.resolve("celeba-hq/images"),
                "data.labels=" + data.resolve("celeba-hq/CelebAMask-HQ-attribute-anno.txt"),
                "model.score-model=" + FIXTURES.resolve("standin-eps-3x256.pt"),
                "model.classifier=" + FIXTURES.resolve("standin-classifier-3x256-c2.pt")
            };
        }
        throw new IllegalArgumentException("no stand-ins for " + experiment);
    }

    /** Writes all three data sets under dir. */
    static void writeAll(Path dir) throws IOException {
        cifar(dir.resolve("cifar"), 8);
        imagenet(dir.resolve("imagenet"), 4);
        celebaHq(dir.resolve("celeba-hq"), 4);
    }
}
