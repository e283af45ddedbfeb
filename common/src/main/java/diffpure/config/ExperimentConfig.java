package diffpure.config;

import java.io.Serializable;

/**
 * One experiment, parsed and checked once on the driver ({@link ConfigLoader}). Small and
 * serializable, so executors receive it inside their task spec; the config tree itself never leaves
 * the driver.
 *
 * @param experiment experiment name
 * @param run how the run is cut up and where it goes
 * @param data the evaluation set
 * @param models the two models
 * @param purify the defence
 * @param attack the attack setting
 * @param eval the voting protocol
 * @param runtime device, threads, micro-batches and the model cache
 * @param configHash sha256 of the rendered config without run.id and run.output (what decides the
 *     rows)
 */
public record ExperimentConfig(
        String experiment,
        RunSettings run,
        DataSettings data,
        ModelSettings models,
        PurifySettings purify,
        AttackSettings attack,
        EvalSettings eval,
        RuntimeSettings runtime,
        String configHash)
        implements Serializable {

    /**
     * The run id: run.id, or the experiment name and the first 12 hex digits of the config hash.
     */
    public String runId() {
        return run.id().isEmpty() ? experiment + "-" + configHash.substring(0, 12) : run.id();
    }
}
