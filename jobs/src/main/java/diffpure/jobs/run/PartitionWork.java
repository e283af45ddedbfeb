package diffpure.jobs.run;

import java.io.Serializable;
import java.util.List;

/**
 * One Spark task's share of a chunk, fixed at plan time.
 *
 * @param chunk chunk number
 * @param partition partition number inside the chunk (the task's partition id)
 * @param samples the samples, in order, each with its batch number
 * @param setting index of the attack setting in {@code ExperimentConfig.settings()} (a sweep's
 *     value; 0 without a sweep)
 */
public record PartitionWork(int chunk, int partition, List<SampleRef> samples, int setting)
        implements Serializable {
    public PartitionWork {
        samples = List.copyOf(samples);
    }

    /** Work of the run's first (or only) setting. */
    public PartitionWork(int chunk, int partition, List<SampleRef> samples) {
        this(chunk, partition, samples, 0);
    }
}
