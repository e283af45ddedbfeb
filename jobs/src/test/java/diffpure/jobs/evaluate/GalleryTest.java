package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.config.ConfigLoader;
import diffpure.data.Datasets;
import diffpure.data.ImageDataset;
import diffpure.jobs.report.ReportData;
import diffpure.jobs.report.ReportJob;
import diffpure.jobs.report.ReportWriter;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.store.TablePaths;
import diffpure.model.PtClassifier;
import diffpure.torch.PtAutograd;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report gallery (report.gallery-samples): two runs of different attacks on one defence store
 * pictures for the first planned samples only; the stored labels are the classifier's on the stored
 * purified copies; the report shows them, and every image in the HTML decodes (headless Chromium
 * where installed) and is its row's pixels.
 */
class GalleryTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static String output;
    private static ConfigLoader.Loaded first;
    private static List<Row> rows;

    private static final int GALLERY = 3;

    @BeforeAll
    static void evaluate() {
        spark = TinyRuns.session("GalleryTest");
        Path out = tmp.resolve("run");
        String gallery = "report.gallery-samples=" + GALLERY;
        first = TinyRuns.config(out, gallery, "attack.eps=0.3");
        ConfigLoader.Loaded second =
                TinyRuns.config(out, gallery, "attack.eps=0.3", "attack.name=apgd-ce");
        for (ConfigLoader.Loaded c : List.of(first, second)) {
            EvaluationJob.Outcome o = EvaluationJob.run(spark, c, TinyRuns.options());
            assertTrue(o.complete());
        }
        output = first.config().run().output();
        rows = spark.read().parquet(TablePaths.samples(output)).collectAsList();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static float[] floats(Row r, String column) {
        List<Float> l = r.getList(r.fieldIndex(column));
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = l.get(i);
        }
        return out;
    }

    @Test
    void theFirstPlannedSamplesOfEachRunCarryPicturesThatMatchTheirLabels() throws IOException {
        Set<Long> expected =
                EvaluationJob.plan(spark, first.config()).firstValid(GALLERY).stream()
                        .map(SampleRef::id)
                        .collect(Collectors.toSet());
        ImageDataset data =
                Datasets.open(first.config().data(), spark.sparkContext().hadoopConfiguration());
        Map<String, Set<Long>> galleryByRun = new HashMap<>();
        try (PtClassifier clf =
                        PtClassifier.load(
                                TinyRuns.ROOT.resolve("models/demo/classifier.pt"), Device.cpu());
                NDManager m = NDManager.newBaseManager();
                PtAutograd.Mode off = PtAutograd.disabled()) {
            for (Row r : rows) {
                if (r.isNullAt(r.fieldIndex("gallery_clean"))) {
                    continue;
                }
                galleryByRun
                        .computeIfAbsent(r.getAs("run_id"), k -> new java.util.HashSet<>())
                        .add(r.getAs("sample_id"));
                float[] clean = floats(r, "gallery_clean");
                assertEquals(
                        java.util.Arrays.toString(
                                data.get(r.<Integer>getAs("sample_index")).image()),
                        java.util.Arrays.toString(clean),
                        "the stored clean image is the data set's");
                assertEquals(List.of(1, 28, 28), r.getList(r.fieldIndex("gallery_shape")));
                for (String side : List.of("clean", "adversarial")) {
                    float[] purified = floats(r, "gallery_purified_" + side);
                    NDArray logits = clf.logits(m.create(purified, new Shape(1, 1, 28, 28)));
                    assertEquals(
                            (long) r.<Integer>getAs("gallery_purified_" + side + "_prediction"),
                            logits.argMax(1).toLongArray()[0],
                            "the stored label is the classifier's on the stored copy");
                    double moved = 0;
                    for (int i = 0; i < purified.length; i++) {
                        moved = Math.max(moved, Math.abs(purified[i] - clean[i]));
                    }
                    assertTrue(moved > 0, "purification changed the image");
                }
            }
        }
        assertEquals(2, galleryByRun.size(), "both runs store pictures");
        for (Set<Long> ids : galleryByRun.values()) {
            assertEquals(expected, ids, "the first " + GALLERY + " planned samples");
        }
    }

    @Test
    void everyImageOfTheReportGalleryDecodesAndIsItsRowsPixels()
            throws IOException, InterruptedException {
        ReportData d = ReportJob.build(spark, output, first.report());
        assertFalse(d.gallery().isEmpty(), "a gallery section for the defence");
        ReportWriter.Written w =
                ReportWriter.write(
                        d,
                        tmp.resolve("report").toString(),
                        spark.sparkContext().hadoopConfiguration());
        String html = Files.readString(Path.of(w.html()), StandardCharsets.UTF_8);
        Matcher img =
                Pattern.compile(
                                "<img class=\"gallery\" data-sample=\"(\\d+)\" data-kind=\"([a-z-]+)\""
                                        + "[^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")
                        .matcher(html);
        Map<Long, Row> apgdRows = new HashMap<>();
        Map<Long, Row> pgdRows = new HashMap<>();
        for (Row r : rows) {
            if (!r.isNullAt(r.fieldIndex("gallery_clean"))) {
                (r.<String>getAs("attack").equals("apgd-ce") ? apgdRows : pgdRows)
                        .put(r.getAs("sample_id"), r);
            }
        }
        int images = 0;
        while (img.find()) {
            images++;
            long id = Long.parseLong(img.group(1));
            String kind = img.group(2);
            BufferedImage png =
                    ImageIO.read(
                            new ByteArrayInputStream(Base64.getDecoder().decode(img.group(3))));
            assertTrue(png != null && png.getWidth() >= 96, kind + " of " + id + " decodes");
            int k = png.getWidth() / 28;
            Row pgd = pgdRows.get(id);
            Row apgd = apgdRows.get(id);
            switch (kind) {
                case "clean" ->
                        assertTrue(samePixels(png, floats(pgd, "gallery_clean"), k), "clean " + id);
                case "adversarial" ->
                        assertTrue(
                                samePixels(png, adversarial(apgd), k)
                                        || samePixels(png, adversarial(pgd), k),
                                "the adversarial image of "
                                        + id
                                        + " is clean + a run's perturbation");
                case "purified-clean", "purified-adversarial" -> {
                    String column = "gallery_" + kind.replace('-', '_');
                    assertTrue(
                            samePixels(png, floats(apgd, column), k)
                                    || samePixels(png, floats(pgd, column), k),
                            kind + " of " + id + " is one run's stored copy");
                }
                case "perturbation" -> assertEquals(28 * k, png.getHeight());
                default -> throw new AssertionError("unknown picture kind " + kind);
            }
        }
        assertTrue(images >= 5 && images % 5 == 0, "five pictures per panel, found " + images);
        if (Files.isExecutable(Path.of("/usr/bin/chromium"))) {
            Process p =
                    new ProcessBuilder(
                                    "bash",
                                    TinyRuns.ROOT.resolve("tools/report_screenshot.sh").toString(),
                                    w.html(),
                                    tmp.resolve("shot.png").toString(),
                                    "1280",
                                    "2400")
                            .redirectErrorStream(true)
                            .start();
            String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), printed);
            assertTrue(printed.contains("gallery: " + images + "/" + images), printed);
        }
    }

    private static float[] adversarial(Row r) {
        float[] c = floats(r, "gallery_clean");
        float[] d = floats(r, "perturbation");
        float[] a = new float[c.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = c[i] + d[i];
        }
        return a;
    }

    /** Whether a gray PNG enlarged k times shows these pixels (rounded to 8 bits). */
    private static boolean samePixels(BufferedImage png, float[] pixels, int k) {
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int want = (int) Math.round(Math.max(0f, Math.min(1f, pixels[y * 28 + x])) * 255.0);
                int got = png.getRaster().getSample(x * k, y * k, 0);
                if (got != want) {
                    return false;
                }
            }
        }
        return true;
    }
}
