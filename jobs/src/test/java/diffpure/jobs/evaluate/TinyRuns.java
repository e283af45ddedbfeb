package diffpure.jobs.evaluate;

import diffpure.config.ConfigLoader;
import diffpure.experiment.Experiments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.sql.SparkSession;

/**
 * Tiny-budget experiments on the demo models (5 steps, PGD-EOT 2 x EOT 2, 3 votes) for the tests.
 */
public final class TinyRuns {
    public static final Path ROOT = Path.of(System.getProperty("diffpure.repo.root", ".."));

    private TinyRuns() {}

    /**
     * 6 demo samples in chunks of 4, partitions of 2, batches of 2, no gradient-masking checks,
     * plus the given overrides.
     */
    public static ConfigLoader.Loaded config(Path output, String... overrides) {
        return Experiments.load(null, settings(output, overrides), Map.of(), new Properties());
    }

    /** The settings of {@link #config}, as KEY=VALUE lines (what --set takes). */
    public static List<String> settings(Path output, String... overrides) {
        List<String> all = overrides(output);
        all.addAll(Arrays.asList(overrides));
        return all;
    }

    /** The tiny experiment's settings as key=value pairs. */
    public static List<String> overrides(Path output) {
        List<String> all =
                new ArrayList<>(
                        List.of(
                                "experiment.name=tiny",
                                "run.output=" + output.toUri(),
                                "run.chunk-samples=4",
                                "run.partition-samples=2",
                                "run.batch-samples=2",
                                "run.seed=7",
                                "data.images="
                                        + ROOT.resolve(
                                                "models/demo/data/t10k-images-idx3-ubyte.gz"),
                                "data.labels="
                                        + ROOT.resolve(
                                                "models/demo/data/t10k-labels-idx1-ubyte.gz"),
                                "data.count=6",
                                "model.score-model=" + ROOT.resolve("models/demo/eps.pt"),
                                "model.classifier=" + ROOT.resolve("models/demo/classifier.pt"),
                                "purify.t-star=0.01",
                                "purify.dt=0.002",
                                "attack.name=pgd-eot",
                                "attack.iterations=2",
                                "attack.eot=2",
                                "attack.eps=8/255",
                                "eval.votes=3",
                                // The checks have their own test (they rerun the attack 4 times).
                                "sanity.subset=0",
                                "runtime.device=cpu",
                                "runtime.torch-threads=1"));
        return all;
    }

    /** The tests' run options: every chunk, a progress line a minute, to stdout. */
    public static EvaluationJob.Options options() {
        return options(-1);
    }

    /** {@link #options()} committing at most this many chunks (-1: all). */
    public static EvaluationJob.Options options(int maxChunks) {
        return new EvaluationJob.Options("test", maxChunks, 60, System.out);
    }

    /**
     * The shared session: 2 cores, each task may fail once (local[N, maxFailures]); paths under
     * faulty:// meet the faults of {@link FaultyFs}.
     */
    public static SparkSession session(String name) {
        return SparkSession.builder()
                .master("local[2,2]")
                .appName(name)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                // Executors send their per-batch progress counts with each heartbeat.
                .config("spark.executor.heartbeatInterval", "1s")
                .config("spark.hadoop.fs.faulty.impl", FaultyFs.class.getName())
                .getOrCreate();
    }
}
