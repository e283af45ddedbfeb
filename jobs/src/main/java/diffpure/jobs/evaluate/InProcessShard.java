package diffpure.jobs.evaluate;

import diffpure.config.ExperimentConfig;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.run.PartitionWork;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.run.SampleRef;
import diffpure.torch.Devices;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;

/**
 * The job's work without Spark: shard i of n of the planned partitions run in this process, nothing
 * written. The baseline of the Spark scaling benchmark (bin/bench-spark-scaling): two such
 * processes beside local[2] show what Spark itself costs per sample.
 */
public final class InProcessShard {
    private InProcessShard() {}

    /**
     * Runs partitions p with p mod n == i (over all chunks) and prints samples/s; returns samples.
     */
    public static int run(ExperimentConfig c, int shard, int shards, PrintStream out) {
        if (shards < 1 || shard < 0 || shard >= shards) {
            throw new IllegalArgumentException(
                    "--in-process-shard must be i/n with 0 <= i < n, found "
                            + shard
                            + "/"
                            + shards);
        }
        long t0 = System.nanoTime();
        ExecutorContext ctx =
                ExecutorContext.of(
                        c,
                        Devices.parse(c.runtime().device()),
                        c.runtime().torchThreads(),
                        new Configuration());
        RunPlan plan = RunPlan.of(c, ctx.data());
        // One runner per setting: each builds its attack and defended model once.
        List<BatchRunner> runners =
                c.settings().stream().map(s -> new BatchRunner(ctx.spec(s), ctx)).toList();
        List<PartitionWork> mine = new ArrayList<>();
        int k = 0;
        for (List<PartitionWork> chunk : plan.chunks()) {
            for (PartitionWork p : chunk) {
                if (k++ % shards == shard) {
                    mine.add(p);
                }
            }
        }
        long t1 = System.nanoTime();
        int samples = 0;
        for (PartitionWork p : mine) {
            int batches = p.samples().stream().mapToInt(SampleRef::batch).max().orElse(-1) + 1;
            for (int b = 0; b < batches; b++) {
                final int batch = b;
                List<SampleRef> refs =
                        p.samples().stream().filter(r -> r.batch() == batch).toList();
                samples += runners.get(p.setting()).run(refs).size();
            }
        }
        double secs = (System.nanoTime() - t1) / 1e9;
        out.printf(
                Locale.ROOT,
                "in-process shard %d/%d: %d samples in %.1f s (%.3f samples/s), %.1f s"
                        + " start-up%n",
                shard,
                shards,
                samples,
                secs,
                samples / secs,
                (t1 - t0) / 1e9);
        return samples;
    }
}
