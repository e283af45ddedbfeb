package diffpure.config;

import java.io.Serializable;

/**
 * How a run is cut up and where it goes.
 *
 * @param id run id ("" in the file: derived from the experiment name and config hash)
 * @param seed run seed of every noise draw
 * @param output directory (any Hadoop path) holding the {@code samples} and {@code runs} tables
 * @param chunkSamples samples per commit (chunk)
 * @param partitionSamples samples per Spark task
 * @param batchSamples samples per model batch
 * @param continueOnError whether a bad sample becomes an error row (else the run fails)
 * @param budget model step-rows after which a run stops scheduling chunks; 0: no budget
 */
public record RunSettings(
        String id,
        long seed,
        String output,
        int chunkSamples,
        int partitionSamples,
        int batchSamples,
        boolean continueOnError,
        long budget)
        implements Serializable {

    /** The same settings with another run id. */
    public RunSettings withId(String newId) {
        return new RunSettings(
                newId,
                seed,
                output,
                chunkSamples,
                partitionSamples,
                batchSamples,
                continueOnError,
                budget);
    }
}
