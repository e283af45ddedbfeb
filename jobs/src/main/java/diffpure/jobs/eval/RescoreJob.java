package diffpure.jobs.eval;

import diffpure.config.ConfigError;
import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.data.Datasets;
import diffpure.jobs.report.Rescores;
import diffpure.jobs.report.Setting;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Rescores a finished run: its stored adversarial perturbations are voted on again with more votes,
 * another purifier setting or another classifier, without re-attacking. The source run's plan fixes
 * the batches (so the source settings reproduce the source votes exactly); rows go to {@code
 * <run.output>/rescores}, chunk by chunk with done markers under {@code _progress/rescore-<rescore
 * id>/}, so a killed rescore resumes like an evaluation.
 */
public final class RescoreJob {
    /** Config keys a rescore may change: the votes, the defence, the classifier, where it runs. */
    public static final List<String> ALLOWED =
            List.of("eval.votes", "eval.chunk", "purify.", "model.", "runtime.", "report.");

    private RescoreJob() {}

    /**
     * What a rescore did.
     *
     * @param rescoreId the rescore id
     * @param path the rescores table
     * @param chunksRun chunks computed by this call
     * @param chunksSkipped chunks done by an earlier call
     */
    public record Outcome(String rescoreId, String path, int chunksRun, int chunksSkipped) {}

    /**
     * Rescores a run.
     *
     * @param output run.output holding the source run's tables (the rescores table goes there)
     * @param sourceRunId the run
     * @param overrides {@code key=value} changes ({@link #ALLOWED} keys only)
     * @param rescoreId the id, or null for the source run id + a hash of the rescore config
     * @param stopAfterChunks stop after this many chunks (-1: all), as a killed rescore would
     * @throws ConfigError naming a key a rescore may not change (the attack, the data, the seed)
     */
    public static Outcome run(
            SparkSession spark,
            String output,
            String sourceRunId,
            List<String> overrides,
            String rescoreId,
            String gitSha,
            int stopAfterChunks,
            PrintStream log) {
        for (String o : overrides) {
            String key = o.contains("=") ? o.substring(0, o.indexOf('=')).trim() : o;
            if (ALLOWED.stream()
                    .noneMatch(a -> a.endsWith(".") ? key.startsWith(a) : key.equals(a))) {
                throw new ConfigError(
                        "a rescore re-votes stored perturbations; it cannot change '"
                                + key
                                + "' (allowed: eval.votes, purify.*, model.*, runtime.*)");
            }
        }
        ConfigLoader.Loaded source = RunConfigs.load(spark, output, sourceRunId, List.of());
        ConfigLoader.Loaded rescore = RunConfigs.load(spark, output, sourceRunId, overrides);
        ExperimentConfig c = rescore.config();
        String id =
                rescoreId != null
                        ? rescoreId
                        : sourceRunId
                                + "-rescore-"
                                + ConfigLoader.sha256(sourceRunId + "|" + c.configHash())
                                        .substring(0, 12);
        if (!id.matches("[A-Za-z0-9._-]+")) {
            throw new ConfigError(
                    "rescore id may contain only letters, digits, '.', '_' and '-', found '"
                            + id
                            + "'");
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        RunPlan plan = RunPlan.of(source.config(), Datasets.open(source.config().data(), conf));
        String[] clf = ModelCache.manifestOf(c.models().classifier(), conf);
        String[] scoreModel = ModelCache.manifestOf(c.models().scoreModel(), conf);
        Dataset<Row> samples =
                spark.read()
                        .parquet(EvaluationJob.samplesPath(output))
                        .where(functions.col("run_id").equalTo(sourceRunId));
        List<Setting> settings =
                samples
                        .select(
                                Setting.COLUMNS.stream()
                                        .map(functions::col)
                                        .toArray(org.apache.spark.sql.Column[]::new))
                        .distinct()
                        .collectAsList()
                        .stream()
                        .map(Setting::of)
                        .sorted(java.util.Comparator.comparing(Setting::slug))
                        .toList();
        if (settings.isEmpty()) {
            throw new IllegalArgumentException(
                    "run " + sourceRunId + " has no rows in " + EvaluationJob.samplesPath(output));
        }
        String table = Rescores.path(output);
        Path progress = new Path(output.replaceAll("/+$", "") + "/_progress/rescore-" + id);
        FileSystem fs;
        try {
            fs = progress.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("no file system for " + progress + ": " + e, e);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int ran = 0;
        int skipped = 0;
        boolean tStarChanged =
                overrides.stream().anyMatch(o -> o.trim().startsWith("purify.t-star"));
        log.printf(
                Locale.ROOT,
                "rescore %s of run %s: %d setting(s) in %d chunks, K=%d, %s%s, classifier %s%n",
                id,
                sourceRunId,
                settings.size(),
                plan.chunks().size(),
                c.eval().votes(),
                c.purify().kind(),
                tStarChanged ? " t*=" + c.purify().tStar() : " at each setting's t*",
                clf[0]);
        List<ExperimentConfig> sourceSettings = source.config().settings();
        for (Setting s : settings) {
            int index = -1;
            for (int i = 0; i < sourceSettings.size(); i++) {
                if (sourceSettings.get(i).attack().eps() == s.eps()
                        && sourceSettings.get(i).purify().tStar() == s.tStar()) {
                    index = i;
                }
            }
            if (index < 0) {
                throw new IllegalStateException(
                        "rows of run "
                                + sourceRunId
                                + " with setting "
                                + s.label()
                                + " are not in its config's settings");
            }
            // The rescore of this setting: its eps, and its t* unless the rescore sets one.
            ExperimentConfig sc = c.withEps(s.eps());
            if (!tStarChanged) {
                sc = sc.withTStar(s.tStar());
            }
            RescoreTask task =
                    new RescoreTask(
                            sc,
                            new RescoreTask.Meta(
                                    id,
                                    sourceRunId,
                                    source.config().configHash(),
                                    s,
                                    clf[0],
                                    clf[1],
                                    scoreModel[0],
                                    gitSha));
            for (int chunk = 0; chunk < plan.chunks().size(); chunk++) {
                List<PartitionWork> parts = plan.chunks().get(chunk);
                if (parts.get(0).setting() != index) {
                    continue;
                }
                Path marker =
                        new Path(progress, String.format(Locale.ROOT, "chunk-%05d.done", chunk));
                if (exists(fs, marker)) {
                    skipped++;
                    continue;
                }
                if (stopAfterChunks >= 0 && ran >= stopAfterChunks) {
                    return new Outcome(id, table, ran, skipped);
                }
                Map<Long, float[]> perturbations = new HashMap<>();
                for (Row r :
                        samples.where(s.filter())
                                .where(functions.col("chunk").equalTo(chunk))
                                .where("error IS NULL")
                                .select("sample_id", "perturbation")
                                .collectAsList()) {
                    List<Float> p = r.getList(1);
                    float[] a = new float[p.size()];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = p.get(i);
                    }
                    perturbations.put(r.getLong(0), a);
                }
                List<RescoreTask.Work> work = new ArrayList<>();
                long planned = 0;
                for (PartitionWork p : parts) {
                    work.add(new RescoreTask.Work(chunk, p.samples(), perturbations));
                    planned +=
                            p.samples().stream()
                                    .filter(r -> perturbations.containsKey(r.id()))
                                    .count();
                }
                spark.sparkContext()
                        .setJobDescription("diffpure rescore " + id + " chunk " + chunk);
                JavaRDD<Row> rows = jsc.parallelize(work, work.size()).mapPartitions(task);
                spark.createDataFrame(rows, Rescores.SCHEMA)
                        .write()
                        .mode(SaveMode.Overwrite)
                        .option("partitionOverwriteMode", "dynamic")
                        .partitionBy("rescore_id", "chunk")
                        .parquet(table);
                long written =
                        spark.read()
                                .parquet(table)
                                .where(functions.col("rescore_id").equalTo(id))
                                .where(functions.col("chunk").equalTo(chunk))
                                .count();
                if (written != planned) {
                    throw new IllegalStateException(
                            "rescore "
                                    + id
                                    + " chunk "
                                    + chunk
                                    + ": "
                                    + written
                                    + " rows in "
                                    + table
                                    + " but "
                                    + planned
                                    + " planned");
                }
                try (FSDataOutputStream out = fs.create(marker, true)) {
                    out.write((written + " rows\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new UncheckedIOException("marking " + marker + " done: " + e, e);
                }
                ran++;
            }
        }
        spark.sparkContext().setJobDescription(null);
        log.printf(
                Locale.ROOT,
                "rescore %s: %d chunks computed now, %d before; table %s%n",
                id,
                ran,
                skipped,
                table);
        return new Outcome(id, table, ran, skipped);
    }

    private static boolean exists(FileSystem fs, Path p) {
        try {
            return fs.exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("checking " + p + ": " + e, e);
        }
    }
}
