package diffpure.jobs.strongest;

import diffpure.config.ExperimentConfig;
import diffpure.jobs.rescore.RescoreJob;
import diffpure.jobs.rescore.RescoreTask;
import diffpure.jobs.run.ChunkEngine;
import diffpure.jobs.run.ModelCache;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.run.TaskSpec;
import diffpure.jobs.store.RescoresTable;
import diffpure.jobs.store.RunConfigs;
import diffpure.jobs.store.TablePaths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The chunks of one strongest-evidence pass: the chosen images grouped by the run (and attack
 * setting) that made them, in sample order, cut by that run's chunk, partition and batch sizes;
 * each group re-voted by a {@link RescoreTask} with that run's config, so the fresh votes use the
 * run's seed and its defence, with K set for the whole pass.
 */
final class StrongestChunks implements ChunkEngine.ChunkWork {
    /**
     * What is fixed for the whole pass.
     *
     * @param request the request
     * @param id the pass id (rescore_id)
     * @param votes K of the fresh votes
     */
    record Pass(StrongestJob.Request request, String id, int votes) {}

    /**
     * One chunk: the images of one run and setting.
     *
     * @param task the re-voting task under that run's config
     * @param partitions the Spark tasks' samples, each with its batch numbers
     * @param selections why each sample's image was chosen
     */
    private record Chunk(
            RescoreTask task,
            List<List<SampleRef>> partitions,
            Map<Long, RescoreTask.Selection> selections) {}

    private final SparkSession spark;
    private final Pass pass;
    private final List<Chunk> chunks;

    private StrongestChunks(SparkSession spark, Pass pass, List<Chunk> chunks) {
        this.spark = spark;
        this.pass = pass;
        this.chunks = chunks;
    }

    /** Plans the chunks of a pass over the chosen images. */
    static StrongestChunks plan(SparkSession spark, Pass pass, List<Candidates.Chosen> chosen) {
        Map<String, List<Candidates.Chosen>> groups = new TreeMap<>();
        for (Candidates.Chosen c : chosen) {
            groups.computeIfAbsent(
                            c.candidate().runId() + "\u0000" + c.candidate().source().slug(),
                            g -> new ArrayList<>())
                    .add(c);
        }
        List<Chunk> chunks = new ArrayList<>();
        for (List<Candidates.Chosen> g : groups.values()) {
            g.sort(Comparator.comparingInt(c -> c.candidate().sampleIndex()));
            Candidate first = g.get(0).candidate();
            ExperimentConfig c = config(spark, pass, first.runId());
            RescoreTask task =
                    task(
                            spark,
                            pass,
                            first,
                            c.withEps(first.source().eps()).withTStar(first.source().tStar()));
            int size = c.run().chunkSamples();
            for (int from = 0; from < g.size(); from += size) {
                chunks.add(chunk(task, g.subList(from, Math.min(g.size(), from + size)), c));
            }
        }
        return new StrongestChunks(spark, pass, chunks);
    }

    private static ExperimentConfig config(SparkSession spark, Pass pass, String runId) {
        List<String> overrides = new ArrayList<>(List.of("eval.votes=" + pass.votes()));
        overrides.addAll(pass.request().overrides());
        return RunConfigs.load(spark, pass.request().output(), runId, overrides).config();
    }

    private static RescoreTask task(
            SparkSession spark, Pass pass, Candidate image, ExperimentConfig c) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String[] clf =
                ModelCache.manifestOf(c.models().classifier(), conf, c.models().manifestLimits());
        String scoreModel =
                ModelCache.manifestOf(c.models().scoreModel(), conf, c.models().manifestLimits())[
                        0];
        String sourceHash =
                RunConfigs.load(spark, pass.request().output(), image.runId(), List.of())
                        .config()
                        .configHash();
        return new RescoreTask(
                TaskSpec.Manifests.read(c, conf).spec(c),
                new RescoreTask.Meta(
                        pass.id(),
                        image.runId(),
                        sourceHash,
                        image.source(),
                        clf[0],
                        clf[1],
                        scoreModel,
                        pass.request().gitSha(),
                        RescoreTask.Pass.strongest(pass.request().excluded())));
    }

    private static Chunk chunk(
            RescoreTask task, List<Candidates.Chosen> images, ExperimentConfig c) {
        int perPartition = c.run().partitionSamples();
        int perBatch = c.run().batchSamples();
        List<List<SampleRef>> partitions = new ArrayList<>();
        Map<Long, RescoreTask.Selection> selections = new LinkedHashMap<>();
        for (int from = 0; from < images.size(); from += perPartition) {
            List<SampleRef> refs = new ArrayList<>();
            int to = Math.min(images.size(), from + perPartition);
            for (int i = from; i < to; i++) {
                Candidate x = images.get(i).candidate();
                refs.add(
                        new SampleRef(
                                x.sampleIndex(),
                                x.sampleId(),
                                x.label(),
                                (i - from) / perBatch,
                                null));
                selections.put(
                        x.sampleId(),
                        new RescoreTask.Selection(
                                x.votedBy(), x.correct(), x.votes(), images.get(i).candidates()));
            }
            partitions.add(refs);
        }
        return new Chunk(task, partitions, selections);
    }

    /** The chunk numbers, 0 .. n-1. */
    List<Integer> chunkNumbers() {
        return IntStream.range(0, chunks.size()).boxed().toList();
    }

    /** Spark tasks of the largest chunk. */
    int partitionsPerChunk() {
        return chunks.stream().mapToInt(c -> c.partitions().size()).max().orElse(1);
    }

    @Override
    public Dataset<Row> rows(int chunk) {
        Chunk c = chunks.get(chunk);
        RescoreTask.Meta meta = c.task().meta();
        Dataset<Row> source =
                spark.read()
                        .option("mergeSchema", "true")
                        .parquet(TablePaths.samples(pass.request().output()))
                        .where(functions.col("run_id").equalTo(meta.sourceRunId()))
                        .where(meta.source().filter())
                        .where("error IS NULL")
                        .where(functions.col("sample_id").isin(c.selections().keySet().toArray()));
        Map<Long, float[]> perturbations = new HashMap<>(RescoreJob.perturbations(source));
        List<RescoreTask.Work> work = new ArrayList<>();
        for (List<SampleRef> p : c.partitions()) {
            work.add(new RescoreTask.Work(chunk, p, perturbations, c.selections()));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<Row> rows = jsc.parallelize(work, work.size()).mapPartitions(c.task());
        return spark.createDataFrame(rows, RescoresTable.SCHEMA);
    }

    @Override
    public long planned(int chunk) {
        return chunks.get(chunk).selections().size();
    }

    @Override
    public String describe(int chunk) {
        return "diffpure strongest " + pass.id() + " chunk " + chunk;
    }
}
