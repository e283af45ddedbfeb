package diffpure.jobs.evaluate;

import diffpure.config.ExperimentConfig;
import diffpure.data.Datasets;
import diffpure.data.ImageDataset;
import diffpure.eval.SampleOutcome;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.run.SampleRef;
import diffpure.torch.Devices;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;

/**
 * Reruns one sample of the {@code samples} table in-process from its row: the row's config hash and
 * seed select the config, the plan gives the sample's batch, and the batch is evaluated again with
 * the row's thread count. On the row's device the outcome equals the row (the same batch
 * composition; libtorch picks its kernels by shape, so only that is bit-identical).
 */
public final class Replay {
    private Replay() {}

    /**
     * Replays the sample of a row.
     *
     * @param c the experiment the row was computed under (its config hash must match the row's)
     * @param row a row of the samples table
     * @param conf Hadoop configuration for data and model paths
     * @throws IllegalArgumentException when the row belongs to another config or seed, or its
     *     sample is not in the plan
     */
    public static SampleOutcome sample(ExperimentConfig c, Row row, Configuration conf) {
        String hash = row.getAs("config_hash");
        if (!c.configHash().equals(hash)) {
            throw new IllegalArgumentException(
                    "row of sample "
                            + row.getAs("sample_id")
                            + " was computed under config hash "
                            + hash
                            + ", this config has "
                            + c.configHash());
        }
        long seed = row.<Long>getAs("seed");
        if (seed != c.run().seed()) {
            throw new IllegalArgumentException(
                    "row seed " + seed + " differs from run.seed " + c.run().seed());
        }
        long id = row.<Long>getAs("sample_id");
        int setting = settingOf(c, row);
        ImageDataset data = Datasets.open(c.data(), conf);
        List<SampleRef> batch = RunPlan.of(c, data).batchOf(id, setting);
        c = c.settings().get(setting);
        if (batch == null) {
            throw new IllegalArgumentException(
                    "sample " + id + " is not in the plan of this config");
        }
        ExecutorContext ctx =
                ExecutorContext.of(
                        c,
                        Devices.parse(row.<String>getAs("device")),
                        row.<Integer>getAs("torch_threads"),
                        conf);
        List<BatchRunner.Result> results = new BatchRunner(ctx.spec(c), ctx).run(batch);
        for (BatchRunner.Result r : results) {
            if (r.ref().id() == id) {
                if (r.error() != null) {
                    throw new IllegalStateException(
                            "sample " + id + " fails on replay: " + r.error());
                }
                return r.outcome();
            }
        }
        throw new IllegalStateException("sample " + id + " missing from its replayed batch");
    }

    /** The index of the row's setting (its eps and t*) among the config's settings. */
    static int settingOf(ExperimentConfig c, Row row) {
        List<ExperimentConfig> all = c.settings();
        double eps = row.<Double>getAs("eps");
        double t = row.<Double>getAs("t_star");
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).attack().eps() == eps && all.get(i).purify().tStar() == t) {
                return i;
            }
        }
        throw new IllegalArgumentException(
                "row of sample "
                        + row.getAs("sample_id")
                        + " has eps "
                        + eps
                        + " and t* "
                        + t
                        + ", which are not among the settings of this config");
    }
}
