package diffpure.jobs.run;

import diffpure.config.ConfigError;
import diffpure.config.ExperimentConfig;
import diffpure.data.DataException;
import diffpure.data.ImageDataset;
import diffpure.data.Subsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The assignment of samples to chunks, partitions and batches: a pure function of the config and
 * the data set's size and labels, so a resumed run or a retried task recomputes exactly the same
 * batches (outputs are bit-identical only for the same batch composition: libtorch picks its
 * kernels by shape).
 *
 * @param chunks per chunk, its partitions (a sweep's settings one after another, each with the same
 *     samples, batches and chunk cuts)
 * @param samples number of rows planned (samples x settings)
 */
public record RunPlan(List<List<PartitionWork>> chunks, int samples) {
    public RunPlan {
        chunks = chunks.stream().map(List::copyOf).toList();
    }

    /**
     * Plans a run: the subset (data.count samples by the seeded rule, in ascending index order, or
     * with data.order = seeded in the rule's random order), cut into chunks of run.chunk-samples,
     * partitions of run.partition-samples and batches of run.batch-samples.
     *
     * @throws ConfigError when data.count exceeds the data set
     * @throws DataException in fail-fast mode when a label cannot be read
     */
    public static RunPlan of(ExperimentConfig c, ImageDataset data) {
        int count = c.data().count() == 0 ? data.size() : c.data().count();
        if (count > data.size()) {
            throw new ConfigError(
                    "data.count = "
                            + count
                            + " but "
                            + data.source()
                            + " has "
                            + data.size()
                            + " samples");
        }
        int[] indices =
                c.data().seededOrder()
                        ? Subsets.inOrder(data.size(), count, c.data().subsetSeed())
                        : count == data.size()
                                ? identity(count)
                                : Subsets.select(data.size(), count, c.data().subsetSeed());
        var run = c.run();
        List<List<PartitionWork>> chunks = new ArrayList<>();
        int settings = c.settings().size();
        for (int setting = 0; setting < settings; setting++) {
            plan(c, data, indices, count, setting, chunks);
        }
        return new RunPlan(chunks, count * settings);
    }

    private static void plan(
            ExperimentConfig c,
            ImageDataset data,
            int[] indices,
            int count,
            int setting,
            List<List<PartitionWork>> chunks) {
        var run = c.run();
        for (int from = 0; from < count; from += run.chunkSamples()) {
            int chunkEnd = Math.min(count, from + run.chunkSamples());
            List<PartitionWork> parts = new ArrayList<>();
            for (int p = from; p < chunkEnd; p += run.partitionSamples()) {
                int partEnd = Math.min(chunkEnd, p + run.partitionSamples());
                List<SampleRef> refs = new ArrayList<>();
                for (int i = p; i < partEnd; i++) {
                    int index = indices[i];
                    int batch = (i - p) / run.batchSamples();
                    try {
                        refs.add(
                                new SampleRef(
                                        index, data.id(index), data.label(index), batch, null));
                    } catch (DataException e) {
                        if (!run.continueOnError()) {
                            throw e;
                        }
                        refs.add(new SampleRef(index, data.id(index), -1, batch, e.getMessage()));
                    }
                }
                parts.add(new PartitionWork(chunks.size(), parts.size(), refs, setting));
            }
            chunks.add(parts);
        }
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    /**
     * The batch a sample id was planned into (first setting), or null when it is not in the plan.
     */
    public List<SampleRef> batchOf(long sampleId) {
        return batchOf(sampleId, 0);
    }

    /** The batch a sample id was planned into under a setting, or null when it is not planned. */
    public List<SampleRef> batchOf(long sampleId, int setting) {
        for (List<PartitionWork> chunk : chunks) {
            for (PartitionWork p : chunk) {
                if (p.setting() != setting) {
                    continue;
                }
                for (SampleRef r : p.samples()) {
                    if (r.id() == sampleId) {
                        return p.samples().stream().filter(s -> s.batch() == r.batch()).toList();
                    }
                }
            }
        }
        return null;
    }

    /**
     * The first n planned samples without a planning error, in plan order: the gradient-masking
     * checks' subset (sanity.subset) and the report gallery's samples (report.gallery-samples).
     */
    public List<SampleRef> firstValid(int n) {
        List<SampleRef> out = new java.util.ArrayList<>();
        for (List<PartitionWork> chunk : chunks) {
            for (PartitionWork w : chunk) {
                for (SampleRef r : w.samples()) {
                    if (out.size() < n && r.error() == null) {
                        out.add(r);
                    }
                }
            }
        }
        return out;
    }
}
