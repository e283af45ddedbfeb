package diffpure.jobs.evaluate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * A test fixture model that really fails: the demo classifier with one check added to its
 * TorchScript forward, which raises (a libtorch error, as a device or engine fault would) whenever
 * an input row is nearest, among the given images, to the one chosen and close to it (mean absolute
 * pixel difference under {@link #CLOSE}). Purified and attacked copies of that image stay that
 * close; the other images, the probe's uniform noise and their copies do not. Every other row gets
 * the demo classifier's logits, so its manifest is the demo's with the new file's sha256.
 */
final class FailingClassifier {
    /** Mean absolute difference under which a row counts as a copy of the failing image. */
    static final double CLOSE = 0.1;

    /** The text of the libtorch error the forward raises. */
    static final String MESSAGE = "fixture classifier fails on this image";

    private static final String CODE = "classifier/code/__torch__.py";
    private static final String SIGNATURE = "    x: Tensor) -> Tensor:\n";

    private FailingClassifier() {}

    /**
     * Writes classifier.pt and classifier.json into dir; returns the .pt.
     *
     * @param images the run's images (pixels in [0, 1], 784 each)
     * @param failing the index in images of the image it fails on
     */
    static Path write(Path dir, List<float[]> images, int failing) throws IOException {
        Path demo = TinyRuns.ROOT.resolve("models/demo");
        Files.createDirectories(dir);
        Path pt = dir.resolve("classifier.pt");
        // ZipFile reads the central directory (TorchScript writes stored entries with descriptors).
        try (ZipFile in = new ZipFile(demo.resolve("classifier.pt").toFile());
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(pt))) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                if (e.getName().equals(CODE + ".debug_pkl")) {
                    continue; // its source ranges are those of the unpatched code
                }
                byte[] bytes;
                try (var entry = in.getInputStream(e)) {
                    bytes = entry.readAllBytes();
                }
                if (e.getName().equals(CODE)) {
                    bytes = patch(new String(bytes, StandardCharsets.UTF_8), images, failing);
                }
                stored(out, e.getName(), bytes);
            }
        }
        String manifest = Files.readString(demo.resolve("classifier.json"));
        Files.writeString(
                dir.resolve("classifier.json"),
                manifest.replaceFirst(
                        "\"sha256\": \"[0-9a-f]{64}\"", "\"sha256\": \"" + sha256(pt) + "\""));
        return pt;
    }

    /** The forward's code with the check in front. */
    private static byte[] patch(String code, List<float[]> images, int failing) {
        if (!code.contains(SIGNATURE)) {
            throw new IllegalStateException("no forward signature in " + CODE + ":\n" + code);
        }
        StringBuilder refs = new StringBuilder("[");
        for (float[] image : images) {
            refs.append(refs.length() > 1 ? ", [" : "[");
            for (int i = 0; i < image.length; i++) {
                refs.append(i > 0 ? ", " : "").append(Float.toString(image[i]));
            }
            refs.append(']');
        }
        refs.append(']');
        String check =
                String.format(
                        Locale.ROOT,
                        "    _refs = torch.tensor(%s, dtype=6)\n"
                                + "    _rows = torch.unsqueeze(torch.flatten(x, 1), 1)\n"
                                + "    _d = torch.mean(torch.abs(torch.sub(_rows, torch.unsqueeze(_refs, 0))), [2])\n"
                                + "    _near = torch.eq(torch.argmin(_d, 1), %d)\n"
                                + "    _close = torch.lt(torch.select(_d, 1, %d), %s)\n"
                                + "    if bool(torch.any(torch.logical_and(_near, _close))):\n"
                                + "      ops.prim.RaiseException(\"%s\", \"builtins.RuntimeError\")\n"
                                + "    else:\n"
                                + "      pass\n",
                        refs,
                        failing,
                        failing,
                        Double.toString(CLOSE),
                        MESSAGE);
        return code.replace(SIGNATURE, SIGNATURE + check).getBytes(StandardCharsets.UTF_8);
    }

    /** An uncompressed entry, as TorchScript archives hold them. */
    private static void stored(ZipOutputStream out, String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.length);
        e.setCompressedSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        e.setCrc(crc.getValue());
        out.putNextEntry(e);
        out.write(bytes);
        out.closeEntry();
    }

    private static String sha256(Path p) throws IOException {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
