package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import diffpure.config.ConfigLoader;
import diffpure.experiment.Experiments;
import diffpure.jobs.cli.EvaluateCommand;
import diffpure.jobs.cli.ReportCommand;
import diffpure.jobs.rescore.RescoreJob;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;

/**
 * The behaviour harness of the jobs/ refactoring (issue 18): runs the tests' tiny runs (an eps
 * sweep with the gradient-masking checks, a resume after a lost marker, a rescore) and a small demo
 * run, then prints one SHA-256 per table (rows as strings, sorted, without {@link #EXCLUDED}
 * columns), per report file and per printed summary. Two checkouts that behave the same print the
 * same lines. Not a CI test (its name does not match surefire's patterns; about 3 minutes on 2
 * cores): {@code mvn -B -q -pl jobs -am test -Dtest=BehaviourDigest
 * -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Ddigest.demo=full} runs the whole demo config
 * (32 samples, 8 checked; about 12 minutes) instead of its first 8 samples with 2 checked. The
 * lines also go to {@code jobs/target/behaviour-digest.txt}.
 */
class BehaviourDigest {
    /** Columns that say when, where or by which build a row was computed, not what. */
    static final List<String> EXCLUDED =
            List.of(
                    "seconds",
                    "executor",
                    "device",
                    "task_attempt",
                    "git_sha",
                    "started",
                    "ended",
                    "versions",
                    "hardware",
                    "computed");

    private final Map<String, String> digests = new LinkedHashMap<>();

    /**
     * Strings that depend on where the checkout is (config hashes cover the data and model paths):
     * masked, so that two checkouts compare.
     */
    private final List<String> masks = new ArrayList<>();

    @Test
    void digest() throws IOException {
        Path root = Path.of("target/behaviour-digest").toAbsolutePath();
        deleteTree(root);
        SparkSession spark = TinyRuns.session("BehaviourDigest");
        try {
            tiny(spark, root.resolve("tiny"));
            demo(spark, root.resolve("demo"));
        } finally {
            spark.stop();
        }
        StringBuilder out = new StringBuilder();
        digests.forEach((k, v) -> out.append(v).append("  ").append(k).append('\n'));
        System.out.print("behaviour digest:\n" + out);
        Files.writeString(Path.of("target/behaviour-digest.txt"), out);
    }

    private void tiny(SparkSession spark, Path dir) {
        ConfigLoader.Loaded loaded =
                TinyRuns.config(
                        dir,
                        "sweep.eps=[\"0\", \"8/255\"]",
                        "sanity.subset=2",
                        "sanity.square-queries=10");
        String output = loaded.config().run().output().replaceAll("/+$", "");
        mask(loaded);
        String printed = evaluate(spark, loaded);
        put("tiny/evaluate printed", printed, dir);
        tables(spark, "tiny", output, dir);
        // A resume after a lost marker recomputes that chunk and must write the same rows.
        String runId = loaded.config().runId();
        Path marker = dir.resolve("_progress/" + runId + "/chunk-00001.done");
        try {
            Files.delete(marker);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        put("tiny/resume printed", evaluate(spark, loaded), dir);
        String before = digests.get("tiny/samples");
        tables(spark, "tiny", output, dir);
        assertEquals(before, digests.get("tiny/samples"), "a resume changed the samples table");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (PrintStream log = new PrintStream(b, true, StandardCharsets.UTF_8)) {
            masks.add(
                    RescoreJob.run(
                                    spark,
                                    new RescoreJob.Request(
                                            output, runId, List.of("eval.votes=5"), null, "test"),
                                    log)
                            .rescoreId());
        }
        put("tiny/rescore printed", b.toString(StandardCharsets.UTF_8), dir);
        table(spark, "tiny/rescores", output + "/rescores", dir);
        report(spark, "tiny", output, dir);
    }

    private void demo(SparkSession spark, Path dir) {
        Path repo = TinyRuns.ROOT.toAbsolutePath().normalize();
        boolean full = "full".equals(System.getProperty("digest.demo"));
        List<String> sets = new ArrayList<>();
        sets.add("run.output=" + dir.toUri());
        sets.add("data.images=" + repo.resolve("models/demo/data/t10k-images-idx3-ubyte.gz"));
        sets.add("data.labels=" + repo.resolve("models/demo/data/t10k-labels-idx1-ubyte.gz"));
        sets.add("model.score-model=" + repo.resolve("models/demo/eps.pt"));
        sets.add("model.classifier=" + repo.resolve("models/demo/classifier.pt"));
        if (!full) {
            sets.add("data.count=8");
            sets.add("sanity.subset=2");
        }
        ConfigLoader.Loaded loaded =
                Experiments.load(repo.resolve("conf/experiments/demo.conf").toString(), sets);
        mask(loaded);
        String output = loaded.config().run().output().replaceAll("/+$", "");
        put("demo/evaluate printed", evaluate(spark, loaded), dir);
        tables(spark, "demo", output, dir);
        report(spark, "demo", output, dir);
    }

    /** Runs an evaluation as the evaluate command does; returns what it printed. */
    private static String evaluate(SparkSession spark, ConfigLoader.Loaded loaded) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (PrintStream log = new PrintStream(b, true, StandardCharsets.UTF_8)) {
            EvaluateCommand.run(
                    spark, loaded, new EvaluationJob.Options("test", -1, 3600, log), "");
        }
        StringBuilder kept = new StringBuilder();
        for (String line : b.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("progress:")) {
                continue; // timing
            }
            kept.append(
                            line.replaceAll("slot utilisation [^;]*;", "slot utilisation *;")
                                    // the checks' wall time
                                    .replaceAll(
                                            "checks on (\\d+) samples \\(\\d+ s\\)",
                                            "checks on $1 samples"))
                    .append('\n');
        }
        return kept.toString();
    }

    private void tables(SparkSession spark, String name, String output, Path dir) {
        table(spark, name + "/samples", output + "/samples", dir);
        table(spark, name + "/runs", output + "/runs", dir);
    }

    private void table(SparkSession spark, String name, String path, Path dir) {
        Dataset<Row> t = spark.read().parquet(path);
        if (Arrays.asList(t.columns()).contains("config_hash")) {
            // a rescore's config hash covers the checkout's model paths, as a run's does
            for (Row h : t.select("config_hash").distinct().collectAsList()) {
                if (h.getString(0) != null) {
                    masks.add(h.getString(0));
                    masks.add(h.getString(0).substring(0, Math.min(12, h.getString(0).length())));
                }
            }
        }
        List<String> keep = Arrays.stream(t.columns()).filter(c -> !EXCLUDED.contains(c)).toList();
        t = t.select(keep.stream().map(functions::col).toArray(Column[]::new));
        List<String> rows = new ArrayList<>();
        rows.add(t.schema().catalogString());
        t.collectAsList().stream().map(Row::toString).sorted().forEach(rows::add);
        put(name, String.join("\n", rows), dir);
    }

    /**
     * The report of a copy of the tables whose excluded columns are set to constants (the report
     * shows timings and build facts); the report's own time stamp is masked.
     */
    private void report(SparkSession spark, String name, String output, Path dir) {
        Path norm = dir.resolve("normalised");
        for (String[] t :
                new String[][] {
                    {"samples", "run_id,chunk"},
                    {"runs", "run_id"},
                    {"rescores", "rescore_id,chunk"}
                }) {
            Path p = Path.of(java.net.URI.create(output + "/" + t[0]));
            if (!Files.exists(p)) {
                continue;
            }
            Dataset<Row> d = spark.read().parquet(output + "/" + t[0]);
            for (String c : EXCLUDED) {
                if (Arrays.asList(d.columns()).contains(c)) {
                    d = d.withColumn(c, constant(c, d));
                }
            }
            d.write().partitionBy(t[1].split(",")).parquet(norm.resolve(t[0]).toUri().toString());
        }
        ConfigLoader.Loaded loaded =
                Experiments.load(
                        null,
                        List.of(
                                "run.output=" + norm.toUri(),
                                "report.dir=" + dir.resolve("report").toUri()));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (PrintStream log = new PrintStream(b, true, StandardCharsets.UTF_8)) {
            int code = ReportCommand.run(spark, loaded, log);
            log.println("exit " + code);
        }
        put(name + "/report printed", b.toString(StandardCharsets.UTF_8), dir);
        try (Stream<Path> files = Files.walk(dir.resolve("report"))) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String rel = dir.resolve("report").relativize(f).toString();
                byte[] bytes = Files.readAllBytes(f);
                if (rel.endsWith(".png")) {
                    digests.put(name + "/report/" + rel, sha256(bytes));
                } else {
                    String text =
                            new String(bytes, StandardCharsets.UTF_8)
                                    .replaceAll(
                                            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z",
                                            "<instant>")
                                    // embedded charts: their numbers are in report.json; the
                                    // over-runs chart is not byte-stable between two runs
                                    .replaceAll("data:image/png;base64,[A-Za-z0-9+/=]+", "<png>");
                    put(name + "/report/" + rel, text, dir);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Column constant(String column, Dataset<Row> d) {
        String type = d.schema().apply(column).dataType().typeName();
        Object v =
                switch (type) {
                    case "double" -> 0.0;
                    case "integer" -> 0;
                    case "timestamp" -> java.sql.Timestamp.valueOf("2026-01-01 00:00:00");
                    default -> "x";
                };
        return functions.lit(v).cast(d.schema().apply(column).dataType());
    }

    private void mask(ConfigLoader.Loaded loaded) {
        masks.add(loaded.config().configHash());
        masks.add(loaded.config().configHash().substring(0, 12));
    }

    /** Records the digest of a text whose paths of this checkout are masked. */
    private void put(String name, String text, Path dir) {
        String repo = TinyRuns.ROOT.toAbsolutePath().normalize().toString();
        String masked =
                text.replace(dir.toUri().toString().replaceAll("/$", ""), "<dir>")
                        .replace(dir.toString(), "<dir>")
                        .replace(repo, "<repo>");
        // Longest first: a rescore id contains its source run's hash.
        List<String> longestFirst = new ArrayList<>(masks);
        longestFirst.sort(java.util.Comparator.comparingInt(String::length).reversed());
        for (String m : longestFirst) {
            masked = masked.replace(m, "<hash>");
        }
        digests.put(name, sha256(masked.getBytes(StandardCharsets.UTF_8)));
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
