package diffpure.jobs.eval;

import java.io.Serializable;
import java.util.List;

/**
 * One Spark task's share of a chunk, fixed at plan time.
 *
 * @param chunk chunk number
 * @param partition partition number inside the chunk (the task's partition id)
 * @param samples the samples, in order, each with its batch number
 */
public record PartitionWork(int chunk, int partition, List<SampleRef> samples)
        implements Serializable {
    public PartitionWork {
        samples = List.copyOf(samples);
    }
}
