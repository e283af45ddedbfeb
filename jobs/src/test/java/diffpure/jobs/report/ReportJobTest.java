package diffpure.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import diffpure.config.ConfigLoader;
import diffpure.config.ReportSettings;
import diffpure.eval.Interval;
import diffpure.experiment.Experiments;
import diffpure.jobs.cli.ReportCommand;
import diffpure.jobs.store.TablePaths;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportJobTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static final ReportSettings DEFAULTS = new ReportSettings("", 0.05, "majority");
    private static final long DAY = 86_400_000L;

    @BeforeAll
    static void start() {
        spark = SyntheticTables.session("ReportJobTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static ConfigLoader.Loaded config(String output, String... sets) {
        List<String> all = new ArrayList<>(List.of("run.output=" + output));
        all.addAll(List.of(sets));
        return Experiments.load(null, all, Map.of(), new Properties());
    }

    /** Two settings in one run (an eps sweep), with error rows, read back by plain SQL. */
    @Test
    void reportNumbersEqualSparkSqlOnTheTables() {
        String out = tmp.resolve("numbers").toUri().toString();
        List<Map<String, Object>> rows =
                new ArrayList<>(SyntheticTables.run("r1", 80, 5, 1, m -> {}));
        rows.addAll(
                SyntheticTables.run(
                        "r1",
                        50,
                        5,
                        2,
                        m -> {
                            m.put("sample_id", 1000 + (Long) m.get("sample_id"));
                            m.put("eps", 4 / 255.0);
                        }));
        for (int i = 0; i < 3; i++) {
            Map<String, Object> e = rows.get(10 * i);
            for (String k :
                    List.of(
                            "clean_votes",
                            "adversarial_votes",
                            "clean_correct",
                            "adversarial_correct",
                            "seconds")) {
                e.put(k, null);
            }
            e.put("error", "sample " + e.get("sample_id") + ": unreadable");
        }
        SyntheticTables.writeSamples(spark, out, rows);
        SyntheticTables.writeRun(spark, out, "r1", 1000);

        ReportData d = ReportJob.build(spark, out, DEFAULTS);
        assertEquals(2, d.settings().size());
        assertEquals(java.util.Set.of(1), d.samplesSchemaVersions());
        spark.read().parquet(TablePaths.samples(out)).createOrReplaceTempView("samples");
        for (ReportData.SettingReport s : d.settings()) {
            RunFigures f = s.newest();
            // Independent formulations: counts from the vote arrays, not from the *_correct
            // columns.
            Row q =
                    spark.sql(
                                    "SELECT count(*) AS n,"
                                            + " sum(CAST(adversarial_votes[0] = label AS INT)) AS r_single,"
                                            + " sum(CAST(size(filter(adversarial_votes, v -> v = label)) * 2 > size(adversarial_votes) AS INT)) AS r_majority,"
                                            + " sum(size(filter(adversarial_votes, v -> v = label)) / size(adversarial_votes)) AS r_mean,"
                                            + " sum(CAST(forall(adversarial_votes, v -> v = label) AS INT)) AS r_worst,"
                                            + " sum(CAST(exists(adversarial_votes, v -> v = label) AS INT)) AS r_any,"
                                            + " sum(CAST(during_attack_fooled = 0 AS INT)) AS r_during,"
                                            + " sum(CAST(clean_votes[0] = label AS INT)) AS c_single,"
                                            + " sum(CAST(size(filter(clean_votes, v -> v = label)) * 2 > size(clean_votes) AS INT)) AS c_majority,"
                                            + " sum(CAST(forall(clean_votes, v -> v = label) AS INT)) AS c_worst,"
                                            + " sum(CAST(clean_during_fooled = 0 AS INT)) AS c_during,"
                                            + " avg(gradient_evaluations) AS grads,"
                                            + " avg(gradient_evaluations + forward_evaluations + vote_evaluations) AS purif,"
                                            + " max(linf) AS linf, sum(seconds) / 3600 AS core_hours"
                                            + " FROM samples WHERE error IS NULL AND run_id = 'r1' AND abs(eps - "
                                            + s.setting().eps()
                                            + ") < 1e-12")
                            .first();
            long n = q.getLong(0);
            assertEquals(n, f.samples());
            assertSame(Interval.wilson(q.getLong(1), n), f.robust().get("single"));
            assertSame(Interval.wilson(q.getLong(2), n), f.robust().get("majority"));
            assertSame(Interval.wilson(q.getDouble(3), n), f.robust().get("mean"));
            assertSame(Interval.wilson(q.getLong(4), n), f.robust().get("worst"));
            assertSame(Interval.wilson(q.getLong(5), n), f.robust().get("any"));
            assertSame(Interval.wilson(q.getLong(6), n), f.robust().get("during-attack"));
            assertSame(Interval.wilson(q.getLong(7), n), f.clean().get("single"));
            assertSame(Interval.wilson(q.getLong(8), n), f.clean().get("majority"));
            assertSame(Interval.wilson(q.getLong(9), n), f.clean().get("worst"));
            assertSame(Interval.wilson(q.getLong(10), n), f.clean().get("during-attack"));
            assertEquals(q.getDouble(11), f.cost().gradientsPerSample(), 1e-9);
            assertEquals(q.getDouble(12), f.cost().purificationsPerSample(), 1e-9);
            assertEquals(q.getDouble(13), f.maxLinf(), 0);
            assertEquals(q.getDouble(14), f.cost().coreHours(), 1e-12);
            assertEquals(0, f.cost().gpuHours());
            long errors =
                    spark.sql(
                                    "SELECT count(*) FROM samples WHERE error IS NOT NULL AND abs(eps - "
                                            + s.setting().eps()
                                            + ") < 1e-12")
                            .first()
                            .getLong(0);
            assertEquals(errors, f.errors());
            long warned =
                    spark.sql(
                                    "SELECT count(*) FROM samples WHERE size(warnings) > 0 AND abs(eps - "
                                            + s.setting().eps()
                                            + ") < 1e-12")
                            .first()
                            .getLong(0);
            assertEquals(warned, f.samplesWithWarnings());
            assertEquals(
                    warned,
                    f.warnings()
                            .get(
                                    "all-zero input gradient in N of N gradient evaluations (pgd-eot)"));
            assertNull(f.adjoint());
            assertFalse(
                    f.robust().containsKey("averaged-logit"), "schema 1 has no averaged logits");
        }
        assertEquals(3, d.settings().stream().mapToLong(s -> s.newest().errors()).sum());
    }

    private static void assertSame(Interval want, Interval got) {
        assertNotNull(got);
        assertEquals(want.trials(), got.trials());
        assertEquals(want.estimate(), got.estimate(), 1e-12);
        assertEquals(want.lower(), got.lower(), 1e-12);
        assertEquals(want.upper(), got.upper(), 1e-12);
    }

    /** A drop planted between two runs on the same samples is a regression (exit code 3). */
    @Test
    void aPlantedDropIsFlaggedAndAnUnchangedRerunIsNot() {
        String out = tmp.resolve("drop").toUri().toString();
        List<Map<String, Object>> first = SyntheticTables.run("night-1", 200, 5, 3, m -> {});
        SyntheticTables.writeSamples(spark, out, first);
        SyntheticTables.writeRun(spark, out, "night-1", DAY);
        // night-2: the same outcomes, so no regression.
        List<Map<String, Object>> same = new ArrayList<>();
        for (Map<String, Object> m : first) {
            Map<String, Object> c = new java.util.HashMap<>(m);
            c.put("run_id", "night-2");
            same.add(c);
        }
        SyntheticTables.writeSamples(spark, out, same);
        SyntheticTables.writeRun(spark, out, "night-2", 2 * DAY);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int code =
                ReportCommand.run(
                        spark, config(out), new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(ReportCommand.OK, code, log.toString(StandardCharsets.UTF_8));
        Comparison c = ReportJob.build(spark, out, DEFAULTS).settings().get(0).comparison();
        assertEquals("night-1", c.olderRunId());
        assertEquals("night-2", c.newerRunId());
        assertEquals(200, c.paired());
        assertEquals(0, c.robust().onlyA() + c.robust().onlyB());
        assertFalse(c.regression());

        // night-3: 25 samples robust (majority) in night-2 lose their adversarial votes.
        List<Map<String, Object>> dropped = new ArrayList<>();
        int planted = 0;
        java.util.Random rnd = new java.util.Random(9);
        for (Map<String, Object> m : same) {
            Map<String, Object> c3 = new java.util.HashMap<>(m);
            c3.put("run_id", "night-3");
            if (planted < 25 && (Integer) m.get("adversarial_correct") * 2 > 5) {
                SyntheticTables.setVotes(
                        c3, (Integer) m.get("label"), 5, (Integer) m.get("clean_correct"), 0, rnd);
                c3.put("clean_votes", m.get("clean_votes"));
                planted++;
            }
            dropped.add(c3);
        }
        assertEquals(25, planted);
        SyntheticTables.writeSamples(spark, out, dropped);
        SyntheticTables.writeRun(spark, out, "night-3", 3 * DAY);
        log.reset();
        code =
                ReportCommand.run(
                        spark, config(out), new PrintStream(log, true, StandardCharsets.UTF_8));
        String printed = log.toString(StandardCharsets.UTF_8);
        assertEquals(ReportCommand.REGRESSION, code, printed);
        assertTrue(
                printed.contains("REGRESSION: pgd-eot Linf 8/255")
                        && printed.contains("night-3 against night-2"),
                printed);
        Comparison c3 = ReportJob.build(spark, out, DEFAULTS).settings().get(0).comparison();
        assertEquals(25, c3.robust().onlyA(), "the planted right-to-wrong samples");
        assertEquals(0, c3.robust().onlyB());
        assertTrue(c3.robust().pValue() < 1e-5, "p = " + c3.robust().pValue());
        assertTrue(c3.robustRegression());
        assertFalse(c3.cleanRegression(), "clean votes were left alone");
        // A stricter threshold than the planted drop's p-value lets it pass: the threshold is read.
        assertFalse(
                ReportJob.build(spark, out, new ReportSettings("", 1e-9, "majority")).regression());
        String md = read(tmp.resolve("drop").resolve("report").resolve("report.md"));
        assertTrue(md.contains("**REGRESSION FOUND**"), md);
    }

    @Test
    void missingOrUnreadableTablesExitWithTheInputCode() throws IOException {
        String none = tmp.resolve("nothing-here").toUri().toString();
        assertEquals(
                ReportCommand.INPUT_MISSING, ReportCommand.run(spark, config(none), System.out));
        var e =
                org.junit.jupiter.api.Assertions.assertThrows(
                        ReportInputException.class, () -> ReportJob.build(spark, none, DEFAULTS));
        assertTrue(
                e.getMessage().startsWith("no samples table at " + TablePaths.samples(none)),
                e.getMessage());

        Path broken = tmp.resolve("broken");
        Path part = broken.resolve("samples/run_id=x/chunk=0");
        Files.createDirectories(part);
        Files.writeString(part.resolve("part-00000.parquet"), "this is not parquet");
        Files.createDirectories(broken.resolve("runs"));
        Files.writeString(broken.resolve("runs/part-00000.parquet"), "nor this");
        assertEquals(
                ReportCommand.INPUT_MISSING,
                ReportCommand.run(spark, config(broken.toUri().toString()), System.out));
        var e2 =
                org.junit.jupiter.api.Assertions.assertThrows(
                        ReportInputException.class,
                        () -> ReportJob.build(spark, broken.toUri().toString(), DEFAULTS));
        assertTrue(
                e2.getMessage().startsWith("cannot read the tables under " + broken.toUri()),
                e2.getMessage());
    }

    /** Schema 2 (averaged logits, error kinds, adjoint figures, sanity) is read where present. */
    @Test
    void schemaTwoColumnsAreReadWhenPresent() {
        String out = tmp.resolve("v2").toUri().toString();
        List<Map<String, Object>> rows =
                SyntheticTables.run("v2run", 90, 5, 4, m -> m.put("schema_version", 2));
        for (int i = 0; i < 4; i++) {
            rows.get(7 * i).put("error", "compute failed");
        }
        String tmpTable = tmp.resolve("v2-staging").toUri().toString();
        SyntheticTables.writeSamples(spark, tmpTable, rows);
        spark.read()
                .parquet(TablePaths.samples(tmpTable))
                .selectExpr(
                        "*",
                        "IF(error IS NULL, label, NULL) AS clean_logit_prediction",
                        "IF(error IS NULL, adversarial_prediction, NULL) AS adversarial_logit_prediction",
                        "IF(error IS NULL, clean_correct * 2 > votes OR sample_id % 5 = 0, NULL) AS clean_logit_correct",
                        "IF(error IS NULL, adversarial_correct >= 2, NULL) AS adversarial_logit_correct",
                        "IF(error IS NULL, NULL, IF(sample_id % 2 = 0, 'compute', 'data')) AS error_kind",
                        "CAST(sample_id AS DOUBLE) * 1e-4 AS adjoint_reconstruction_error",
                        "IF(sample_id < 32, 1 - CAST(sample_id AS DOUBLE) * 1e-3, NULL) AS adjoint_cosine",
                        "sample_id < 32 AS sanity_subset")
                .write()
                .mode(SaveMode.Overwrite)
                .partitionBy("run_id", "chunk")
                .parquet(TablePaths.samples(out));
        SyntheticTables.writeRun(spark, tmpTable, "v2run", DAY);
        spark.read()
                .parquet(TablePaths.runs(tmpTable))
                .selectExpr(
                        "*",
                        "'{\"subset\": 32, \"checks\": [{\"name\": \"more-iterations\", \"measured\": {\"robust\": 0.5}, \"warning\": null}, {\"name\": \"square\", \"measured\": {\"robust\": 0.2}, \"warning\": \"Square beats the gradient attack\"}]}' AS sanity",
                        "0.0089 AS adjoint_reconstruction_error_max",
                        "0.969 AS adjoint_cosine_min")
                .withColumn("schema_version", org.apache.spark.sql.functions.lit(2))
                .write()
                .mode(SaveMode.Overwrite)
                .partitionBy("run_id")
                .parquet(TablePaths.runs(out));
        ReportData d = ReportJob.build(spark, out, DEFAULTS);
        assertEquals(java.util.Set.of(2), d.samplesSchemaVersions());
        assertEquals(java.util.Set.of(2), d.runsSchemaVersions());
        RunFigures f = d.settings().get(0).newest();
        spark.read().parquet(TablePaths.samples(out)).createOrReplaceTempView("samples2");
        Row q =
                spark.sql(
                                "SELECT count(*), sum(CAST(clean_logit_correct AS INT)), sum(CAST(adversarial_logit_correct AS INT)),"
                                        + " max(adjoint_reconstruction_error), min(adjoint_cosine)"
                                        + " FROM samples2 WHERE error IS NULL")
                        .first();
        assertSame(Interval.wilson(q.getLong(1), q.getLong(0)), f.clean().get("averaged-logit"));
        assertSame(Interval.wilson(q.getLong(2), q.getLong(0)), f.robust().get("averaged-logit"));
        assertEquals(Map.of("data", 2L, "compute", 2L), f.errorKinds());
        assertEquals(89 * 1e-4, f.adjoint().reconstructionErrorMax(), 1e-12);
        assertEquals(q.getDouble(4), f.adjoint().cosineMin(), 1e-12);
        assertEquals(0.0089, f.adjoint().runReconstructionErrorMax(), 1e-12);
        assertEquals(0.969, f.adjoint().runCosineMin(), 1e-12);
        ReportWriter.Written w =
                ReportWriter.write(
                        d,
                        tmp.resolve("v2-report").toString(),
                        spark.sparkContext().hadoopConfiguration());
        String html = read(Path.of(w.html()));
        assertTrue(html.contains("Square beats the gradient attack"), "sanity warning shown");
        assertTrue(
                html.contains("<td>Square (no gradients)</td>"),
                "the checks as a table in words: " + html);
        String md = read(Path.of(w.markdown()));
        assertTrue(md.contains("Square (no gradients): Square beats the gradient attack"), md);
        assertTrue(html.contains("averaged-logit"));
        JsonObject json = JsonParser.parseString(read(Path.of(w.json()))).getAsJsonObject();
        JsonObject run =
                json.getAsJsonArray("settings")
                        .get(0)
                        .getAsJsonObject()
                        .getAsJsonArray("runs")
                        .get(0)
                        .getAsJsonObject();
        assertEquals(
                "square",
                run.getAsJsonObject("sanity")
                        .getAsJsonArray("checks")
                        .get(1)
                        .getAsJsonObject()
                        .get("name")
                        .getAsString());
    }

    /** The per-setting JSON follows the shipped schema; a wrong entry does not. */
    @Test
    void robustBenchJsonValidatesAgainstTheShippedSchema() {
        String out = tmp.resolve("json").toUri().toString();
        SyntheticTables.writeSamples(spark, out, SyntheticTables.run("j1", 40, 5, 5, m -> {}));
        SyntheticTables.writeSamples(
                spark,
                out,
                SyntheticTables.run(
                        "j1",
                        40,
                        5,
                        6,
                        m -> {
                            m.put("attack", "autoattack-rand");
                            m.put("norm", "L2");
                            m.put("eps", 0.5);
                        }));
        SyntheticTables.writeRun(spark, out, "j1", DAY);
        ReportData d = ReportJob.build(spark, out, DEFAULTS);
        ReportWriter.Written w =
                ReportWriter.write(
                        d,
                        tmp.resolve("json-report").toString(),
                        spark.sparkContext().hadoopConfiguration());
        assertEquals(2, w.robustbench().size());
        Schema schema =
                SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                        .getSchema(ReportWriter.schema(), InputFormat.JSON);
        boolean sawAutoAttack = false;
        for (String p : w.robustbench()) {
            String text = read(Path.of(p));
            List<Error> errors = schema.validate(text, InputFormat.JSON);
            assertTrue(errors.isEmpty(), p + ": " + errors);
            JsonObject o = JsonParser.parseString(text).getAsJsonObject();
            String key =
                    o.get("attack").getAsString().startsWith("autoattack")
                            ? "autoattack_acc"
                            : "pgd_eot_acc";
            sawAutoAttack |= key.equals("autoattack_acc");
            assertTrue(o.has(key), text);
            RunFigures f =
                    d.settings().stream()
                            .filter(
                                    s ->
                                            s.setting()
                                                    .slug()
                                                    .equals(
                                                            Path.of(p)
                                                                    .getFileName()
                                                                    .toString()
                                                                    .replace(".json", "")))
                            .findFirst()
                            .orElseThrow()
                            .newest();
            assertEquals(
                    String.format(
                            java.util.Locale.ROOT, "%.2f", 100 * f.robustMajority().estimate()),
                    o.get(key).getAsString());
            assertEquals("j1", o.get("run_id").getAsString());
        }
        assertTrue(sawAutoAttack);
        assertEquals(
                ReportWriter.schema(),
                read(tmp.resolve("json-report/robustbench/entry.schema.json")));
        // The schema has teeth: a numeric accuracy and a missing run id are refused.
        JsonObject bad =
                JsonParser.parseString(read(Path.of(w.robustbench().get(0)))).getAsJsonObject();
        bad.addProperty("clean_acc", 91.2);
        bad.remove("run_id");
        List<Error> errors = schema.validate(bad.toString(), InputFormat.JSON);
        String all = errors.toString();
        assertTrue(all.contains("clean_acc") && all.contains("run_id"), all);
    }

    /** Every chart of the HTML is an embedded, decodable, non-blank PNG. */
    @Test
    void htmlEmbedsEveryChartAsANonEmptyPng() throws IOException {
        String out = tmp.resolve("charts").toUri().toString();
        for (int k = 0; k < 3; k++) {
            final double eps = (2 + 2 * k) / 255.0;
            SyntheticTables.writeSamples(
                    spark,
                    out,
                    SyntheticTables.run("sweep", 40, 5, 10 + k, m -> m.put("eps", eps)));
        }
        SyntheticTables.writeRun(spark, out, "sweep", DAY);
        ReportData d = ReportJob.build(spark, out, DEFAULTS);
        List<Charts.Chart> charts = Charts.all(d);
        List<String> ids = charts.stream().map(Charts.Chart::id).toList();
        assertEquals(
                List.of("accuracy", "trend", "sweep-eps", "cost"),
                ids,
                "an eps sweep, no t* sweep");
        ReportWriter.Written w =
                ReportWriter.write(
                        d,
                        tmp.resolve("charts-report").toString(),
                        spark.sparkContext().hadoopConfiguration());
        String html = read(Path.of(w.html()));
        Matcher m =
                Pattern.compile(
                                "<img class=\"chart\"[^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")
                        .matcher(html);
        int n = 0;
        while (m.find()) {
            BufferedImage img =
                    ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
            assertNotNull(img);
            assertEquals(Charts.WIDTH, img.getWidth());
            java.util.Set<Integer> colours = new java.util.HashSet<>();
            for (int y = 0; y < img.getHeight(); y += 7) {
                for (int x = 0; x < img.getWidth(); x += 7) {
                    colours.add(img.getRGB(x, y));
                }
            }
            assertTrue(colours.size() > 5, "chart " + n + " is blank");
            n++;
        }
        assertEquals(charts.size(), n);
    }

    /** The HTML opens in real headless Chromium with every chart decoded; a screenshot is taken. */
    @Test
    void htmlOpensInHeadlessChromium() throws IOException, InterruptedException {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.isExecutable(Path.of("/usr/bin/chromium")),
                "Debian's chromium is not installed (.ci/run installs it)");
        String out = tmp.resolve("browser").toUri().toString();
        SyntheticTables.writeSamples(spark, out, SyntheticTables.run("b1", 60, 5, 21, m -> {}));
        SyntheticTables.writeRun(spark, out, "b1", DAY);
        SyntheticTables.writeSamples(spark, out, SyntheticTables.run("b2", 60, 5, 22, m -> {}));
        SyntheticTables.writeRun(spark, out, "b2", 2 * DAY);
        ReportData d = ReportJob.build(spark, out, DEFAULTS);
        ReportWriter.Written w =
                ReportWriter.write(
                        d,
                        tmp.resolve("browser-report").toString(),
                        spark.sparkContext().hadoopConfiguration());
        Path shot = tmp.resolve("browser-report/report.png");
        Path root = Path.of(System.getProperty("diffpure.repo.root", ".."));
        Process p =
                new ProcessBuilder(
                                "bash",
                                root.resolve("tools/report_screenshot.sh").toString(),
                                w.html(),
                                shot.toString(),
                                "1280",
                                "2400")
                        .redirectErrorStream(true)
                        .start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), printed);
        int charts = Charts.all(d).size();
        assertTrue(
                printed.contains("data-charts-loaded=\"" + charts + "/" + charts + "\""), printed);
        assertEquals(0, p.exitValue(), printed);
        BufferedImage img = ImageIO.read(shot.toFile());
        assertEquals(1280, img.getWidth());
        assertTrue(img.getHeight() > 1000);
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
