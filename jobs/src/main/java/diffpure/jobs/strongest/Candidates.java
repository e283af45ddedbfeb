package diffpure.jobs.strongest;

import diffpure.jobs.report.Setting;
import diffpure.jobs.store.RescoresTable;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TablePaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Every candidate image of every sample in a run output, and each sample's strongest one ({@link
 * Candidate#STRONGEST_FIRST}): the rows of the samples table without error, and the rescores of
 * them under the same defence (purifier, t*, steps, classifier and score model), never the votes of
 * a strongest-evidence pass (choosing by those would make the fresh votes pick themselves). Runs
 * asked to be left out give no candidate, as their own rows or through a rescore.
 */
public final class Candidates {
    private Candidates() {}

    /**
     * A sample's chosen image.
     *
     * @param candidate the strongest candidate
     * @param candidates how many the sample had
     */
    public record Chosen(Candidate candidate, int candidates) {}

    /** Per threat setting (by label order), its samples' chosen images in sample-id order. */
    public static Map<ThreatSetting, List<Chosen>> choose(
            SparkSession spark, String output, Set<String> excluded) {
        Dataset<Row> samples = samples(spark, output, excluded);
        Map<ThreatSetting, Map<Long, List<Candidate>>> bySample = new LinkedHashMap<>();
        Stream.concat(runVotes(spark, output, samples), rescoreVotes(spark, output, samples))
                .forEach(
                        c ->
                                bySample.computeIfAbsent(c.threat(), t -> new TreeMap<>())
                                        .computeIfAbsent(c.sampleId(), s -> new ArrayList<>())
                                        .add(c));
        Map<ThreatSetting, List<Chosen>> out = new TreeMap<>(Comparator.comparing(t -> t.key()));
        bySample.forEach(
                (threat, samplesOf) -> {
                    List<Chosen> chosen = new ArrayList<>();
                    samplesOf.forEach(
                            (id, cs) -> {
                                cs.sort(Candidate.STRONGEST_FIRST);
                                chosen.add(new Chosen(cs.get(0), cs.size()));
                            });
                    out.put(threat, chosen);
                });
        return out;
    }

    /** The samples rows without error of the runs not left out, with their run's start. */
    private static Dataset<Row> samples(SparkSession spark, String output, Set<String> excluded) {
        Dataset<Row> runs =
                spark.read()
                        .parquet(TablePaths.runs(output))
                        .selectExpr("run_id AS started_run_id", "started");
        Dataset<Row> rows =
                spark.read()
                        .option("mergeSchema", "true")
                        .parquet(TablePaths.samples(output))
                        .where("error IS NULL");
        if (!excluded.isEmpty()) {
            rows = rows.where(functions.not(functions.col("run_id").isin(excluded.toArray())));
        }
        return rows.join(
                runs, rows.col("run_id").equalTo(runs.col("started_run_id")), "left_outer");
    }

    private static List<String> imageColumns() {
        List<String> cols = new ArrayList<>(ThreatSetting.COLUMNS);
        Setting.COLUMNS.stream().filter(c -> !cols.contains(c)).forEach(cols::add);
        cols.addAll(
                SamplesTable.names(
                        SamplesTable.RUN_ID,
                        SamplesTable.SAMPLE_ID,
                        SamplesTable.SAMPLE_INDEX,
                        SamplesTable.LABEL));
        cols.add("started");
        return cols;
    }

    /** The runs' own votes. */
    private static Stream<Candidate> runVotes(
            SparkSession spark, String output, Dataset<Row> samples) {
        List<String> cols = new ArrayList<>(imageColumns());
        cols.add(SamplesTable.ADVERSARIAL_CORRECT.name());
        return samples
                .select(cols.stream().map(functions::col).toArray(Column[]::new))
                .collectAsList()
                .stream()
                .map(
                        r ->
                                candidate(
                                        r,
                                        SamplesTable.RUN_ID.of(r),
                                        SamplesTable.ADVERSARIAL_CORRECT.of(r),
                                        SamplesTable.VOTES.of(r),
                                        false));
    }

    /** Rescores of the runs' images under the runs' own defence. */
    private static Stream<Candidate> rescoreVotes(
            SparkSession spark, String output, Dataset<Row> samples) {
        String path = TablePaths.rescores(output);
        if (!exists(spark, path)) {
            return Stream.empty();
        }
        Dataset<Row> all = spark.read().option("mergeSchema", "true").parquet(path);
        if (Arrays.asList(all.columns()).contains("rescore_kind")) {
            all = all.where("coalesce(rescore_kind, '" + RescoresTable.RESCORE + "') = 'rescore'");
        }
        List<String> renamed =
                new ArrayList<>(
                        List.of(
                                "source_run_id AS r_run_id",
                                "sample_id AS r_sample_id",
                                "rescore_id AS v_id",
                                "adversarial_correct AS v_correct",
                                "rescore_votes AS v_votes",
                                "rescore_purifier AS v_purifier",
                                "rescore_t_star AS v_t_star",
                                "rescore_steps AS v_steps",
                                "rescore_classifier AS v_classifier",
                                "rescore_classifier_sha256 AS v_classifier_sha256",
                                "rescore_score_model AS v_score_model"));
        Setting.COLUMNS.forEach(c -> renamed.add(c + " AS r_" + c));
        Dataset<Row> r = all.where("error IS NULL").selectExpr(renamed.toArray(new String[0]));
        Column on =
                functions
                        .col("run_id")
                        .equalTo(functions.col("r_run_id"))
                        .and(functions.col("sample_id").equalTo(functions.col("r_sample_id")));
        for (String c : Setting.COLUMNS) {
            on = on.and(functions.col(c).eqNullSafe(functions.col("r_" + c)));
        }
        List<String> cols = new ArrayList<>(imageColumns());
        cols.addAll(List.of("v_id", "v_correct", "v_votes"));
        return samples
                .join(r, on)
                .where(
                        "v_purifier = purifier AND v_steps = steps AND v_classifier = classifier"
                                + " AND v_score_model = score_model"
                                + " AND v_classifier_sha256 <=> classifier_sha256"
                                + " AND (purifier = 'ddpm' OR abs(v_t_star - t_star) < 1e-9)")
                .select(cols.stream().map(functions::col).toArray(Column[]::new))
                .collectAsList()
                .stream()
                .map(
                        x ->
                                candidate(
                                        x,
                                        x.getAs("v_id"),
                                        x.<Integer>getAs("v_correct"),
                                        x.<Integer>getAs("v_votes"),
                                        true));
    }

    private static Candidate candidate(
            Row r, String votedBy, int correct, int votes, boolean rescore) {
        Timestamp started = r.getAs("started");
        return new Candidate(
                ThreatSetting.of(r),
                Setting.of(r),
                SamplesTable.RUN_ID.of(r),
                SamplesTable.SAMPLE_ID.of(r),
                SamplesTable.SAMPLE_INDEX.of(r),
                SamplesTable.LABEL.of(r),
                votedBy,
                correct,
                votes,
                new Candidate.When(started == null ? 0 : started.getTime(), rescore));
    }

    static boolean exists(SparkSession spark, String path) {
        try {
            Path p = new Path(path);
            return p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + path + ": " + e.getMessage(), e);
        }
    }
}
