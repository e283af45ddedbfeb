package diffpure.jobs.rescore;

import diffpure.config.ConfigError;
import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.data.Datasets;
import diffpure.jobs.report.Setting;
import diffpure.jobs.run.ChunkEngine;
import diffpure.jobs.run.ModelCache;
import diffpure.jobs.run.PartitionWork;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.run.StopRule;
import diffpure.jobs.run.TaskSpec;
import diffpure.jobs.store.ChunkMarkers;
import diffpure.jobs.store.RescoresTable;
import diffpure.jobs.store.RunConfigs;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TableCommitter;
import diffpure.jobs.store.TablePaths;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
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
            List.of(
                    "eval.votes",
                    "eval.clean-during-copies-per-call",
                    "purify.",
                    "model.",
                    "runtime.",
                    "report.");

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
     * What to rescore.
     *
     * @param output run.output holding the source run's tables (the rescores table goes there)
     * @param sourceRunId the run
     * @param overrides {@code key=value} changes ({@link #ALLOWED} keys only)
     * @param rescoreId the id, or null for the source run id + a hash of the rescore config
     * @param gitSha commit recorded in every row
     * @param maxChunks commit at most this many chunks in this call, then stop (-1: all); the same
     *     command again resumes
     */
    public record Request(
            String output,
            String sourceRunId,
            List<String> overrides,
            String rescoreId,
            String gitSha,
            int maxChunks) {
        /** A whole rescore. */
        public Request(
                String output,
                String sourceRunId,
                List<String> overrides,
                String rescoreId,
                String gitSha) {
            this(output, sourceRunId, overrides, rescoreId, gitSha, -1);
        }
    }

    /**
     * Rescores a run.
     *
     * @throws ConfigError naming a key a rescore may not change (the attack, the data, the seed)
     */
    public static Outcome run(SparkSession spark, Request req, PrintStream log) {
        checkAllowed(req.overrides());
        String output = req.output();
        String sourceRunId = req.sourceRunId();
        ConfigLoader.Loaded source = RunConfigs.load(spark, output, sourceRunId, List.of());
        ExperimentConfig c = RunConfigs.load(spark, output, sourceRunId, req.overrides()).config();
        String id = rescoreId(req, c);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        RunPlan plan = RunPlan.of(source.config(), Datasets.open(source.config().data(), conf));
        String[] clf =
                ModelCache.manifestOf(c.models().classifier(), conf, c.models().manifestLimits());
        String scoreModel =
                ModelCache.manifestOf(c.models().scoreModel(), conf, c.models().manifestLimits())[
                        0];
        Dataset<Row> samples =
                spark.read()
                        .parquet(TablePaths.samples(output))
                        .where(functions.col("run_id").equalTo(sourceRunId));
        List<Setting> settings = settingsOf(samples, sourceRunId, output);
        boolean tStarChanged =
                req.overrides().stream().anyMatch(o -> o.trim().startsWith("purify.t-star"));
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
        // Per chunk, the task of its setting: the setting's eps, and its t* unless the rescore
        // sets one. Chunks of settings without rows are not rescored.
        Map<Integer, RescoreTask> tasks = new TreeMap<>();
        List<Integer> chunks = new ArrayList<>();
        TaskSpec.Manifests manifests = TaskSpec.Manifests.read(c, conf);
        for (Setting s : settings) {
            ExperimentConfig sc = c.withEps(s.eps());
            RescoreTask task =
                    new RescoreTask(
                            manifests.spec(tStarChanged ? sc : sc.withTStar(s.tStar())),
                            new RescoreTask.Meta(
                                    id,
                                    sourceRunId,
                                    source.config().configHash(),
                                    s,
                                    clf[0],
                                    clf[1],
                                    scoreModel,
                                    req.gitSha(),
                                    RescoreTask.Pass.RESCORE));
            int index = settingIndex(source.config().settings(), s, sourceRunId);
            for (int chunk = 0; chunk < plan.chunks().size(); chunk++) {
                if (plan.chunks().get(chunk).get(0).setting() == index) {
                    tasks.put(chunk, task);
                    chunks.add(chunk);
                }
            }
        }
        int perChunk = plan.chunks().stream().mapToInt(List::size).max().orElse(1);
        return runChunks(
                spark,
                new ChunkRun(req.output(), id, req.maxChunks(), perChunk),
                new RescoreChunks(spark, plan, tasks, samples, id),
                chunks,
                log);
    }

    /**
     * Chunks of a rescore or strongest-evidence pass to run.
     *
     * @param output run.output (the rescores table and its done-markers go there)
     * @param id the rescore id
     * @param maxChunks commit at most this many chunks in this call (-1: all)
     * @param partitionsPerChunk Spark tasks of the largest chunk
     */
    public record ChunkRun(String output, String id, int maxChunks, int partitionsPerChunk) {}

    /** Runs the chunks of a pass on the chunk engine, skipping those done by an earlier call. */
    public static Outcome runChunks(
            SparkSession spark,
            ChunkRun run,
            ChunkEngine.ChunkWork work,
            List<Integer> chunks,
            PrintStream log) {
        String id = run.id();
        String table = TablePaths.rescores(run.output());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        ChunkEngine engine =
                new ChunkEngine(
                        spark,
                        new ChunkEngine.Target(
                                "rescore " + id,
                                id,
                                TableCommitter.of(spark, table, "rescore_id"),
                                SamplesTable.without(RescoresTable.SCHEMA, "rescore_id", "chunk"),
                                new ChunkMarkers(
                                        TablePaths.rescoreProgress(run.output(), id), conf)),
                        "diffpure-rescore-" + id + "-" + UUID.randomUUID());
        List<Integer> todo = engine.notDone(chunks);
        List<Integer> doneEarlier = chunks.stream().filter(k -> !todo.contains(k)).toList();
        List<Integer> toRun = ChunkEngine.atMost(todo, run.maxChunks());
        ChunkEngine.Result r =
                engine.run(
                        toRun,
                        doneEarlier,
                        new ChunkEngine.Schedule(
                                ChunkEngine.inFlight(spark, run.partitionsPerChunk()),
                                StopRule.NEVER),
                        work,
                        () -> {});
        spark.sparkContext().setJobDescription(null);
        log.printf(
                Locale.ROOT,
                "rescore %s: %d chunks computed now, %d before; table %s%n",
                id,
                r.committed(),
                doneEarlier.size(),
                table);
        ChunkEngine.printLeft("rescore " + id, todo.size() - r.committed(), run.maxChunks(), log);
        return new Outcome(id, table, r.committed(), doneEarlier.size());
    }

    /** The stored perturbation of each row (columns sample_id and perturbation), by sample id. */
    public static Map<Long, float[]> perturbations(Dataset<Row> rows) {
        Map<Long, float[]> perturbations = new HashMap<>();
        for (Row r :
                rows.select(SamplesTable.SAMPLE_ID.name(), SamplesTable.PERTURBATION.name())
                        .collectAsList()) {
            perturbations.put(SamplesTable.SAMPLE_ID.of(r), SamplesTable.PERTURBATION.of(r));
        }
        return perturbations;
    }

    /** Refuses a change a rescore cannot make. */
    private static void checkAllowed(List<String> overrides) {
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
    }

    /** The id asked for, else the source run id + a hash of the rescore config. */
    private static String rescoreId(Request req, ExperimentConfig c) {
        String id =
                req.rescoreId() != null
                        ? req.rescoreId()
                        : req.sourceRunId()
                                + "-rescore-"
                                + ConfigLoader.sha256(req.sourceRunId() + "|" + c.configHash())
                                        .substring(0, 12);
        if (!id.matches("[A-Za-z0-9._-]+")) {
            throw new ConfigError(
                    "rescore id may contain only letters, digits, '.', '_' and '-', found '"
                            + id
                            + "'");
        }
        return id;
    }

    /** The attack settings of the source run's rows, by slug. */
    private static List<Setting> settingsOf(
            Dataset<Row> samples, String sourceRunId, String output) {
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
                    "run " + sourceRunId + " has no rows in " + TablePaths.samples(output));
        }
        return settings;
    }

    /** The index of a setting of the rows among the source config's settings. */
    private static int settingIndex(
            List<ExperimentConfig> sourceSettings, Setting s, String sourceRunId) {
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
        return index;
    }

    /**
     * A rescore's chunks: the source chunk's planned partitions with the stored perturbations of
     * its rows without error, re-voted by the chunk's setting's {@link RescoreTask}.
     */
    private record RescoreChunks(
            SparkSession spark,
            RunPlan plan,
            Map<Integer, RescoreTask> tasks,
            Dataset<Row> samples,
            String id)
            implements ChunkEngine.ChunkWork {
        @Override
        public Dataset<Row> rows(int chunk) {
            Map<Long, float[]> perturbations = perturbations(chunk);
            List<RescoreTask.Work> work = new ArrayList<>();
            for (PartitionWork p : plan.chunks().get(chunk)) {
                work.add(new RescoreTask.Work(chunk, p.samples(), perturbations));
            }
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            JavaRDD<Row> rows = jsc.parallelize(work, work.size()).mapPartitions(tasks.get(chunk));
            return spark.createDataFrame(rows, RescoresTable.SCHEMA);
        }

        /** Planned samples whose source row has a perturbation (no error). */
        @Override
        public long planned(int chunk) {
            Set<Long> stored =
                    new HashSet<>(
                            sourceRows(chunk)
                                    .select("sample_id")
                                    .as(Encoders.LONG())
                                    .collectAsList());
            return plan.chunks().get(chunk).stream()
                    .flatMap(p -> p.samples().stream())
                    .filter(r -> stored.contains(r.id()))
                    .count();
        }

        private Dataset<Row> sourceRows(int chunk) {
            return samples.where(tasks.get(chunk).meta().source().filter())
                    .where(functions.col("chunk").equalTo(chunk))
                    .where("error IS NULL");
        }

        @Override
        public String describe(int chunk) {
            return "diffpure rescore " + id + " chunk " + chunk;
        }

        private Map<Long, float[]> perturbations(int chunk) {
            return RescoreJob.perturbations(sourceRows(chunk));
        }
    }
}
