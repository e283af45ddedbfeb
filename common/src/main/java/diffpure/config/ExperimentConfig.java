package diffpure.config;

import diffpure.gradient.GradientPlan;
import diffpure.gradient.MemoryModel;
import diffpure.model.ModelManifest;
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

    /**
     * The gradient mode and rows per model call of this run: attack.gradient-mode (auto resolved),
     * runtime.memory-budget and runtime.micro-batch-rows, for calls of run.batch-samples ×
     * attack.eot rows. A function of the config and the two manifests only, so the driver, every
     * executor and every retry, resume or replay derive the same split.
     *
     * @throws ConfigError when the budget is set and a manifest has no graph-bytes-per-image, or
     *     when nothing fits the budget
     */
    public GradientPlan gradientPlan(ModelManifest eps, ModelManifest classifier) {
        long budget = runtime.memoryBudget();
        int callRows = run.batchSamples() * attack.eot();
        MemoryModel memory = null;
        if (budget > 0) {
            for (ModelManifest m : new ModelManifest[] {eps, classifier}) {
                if (m.graphBytesPerImage() <= 0) {
                    throw new ConfigError(
                            "runtime.memory-budget is set but "
                                    + m.file()
                                    + " has no graph-bytes-per-image; record it with `bin/diffpure"
                                    + " model graph-bytes --write "
                                    + m.file()
                                            .getFileName()
                                            .toString()
                                            .replaceFirst("\\.(json|conf)$", ".pt")
                                    + "` (measured on the CPU) or set runtime.memory-budget = 0");
                }
            }
            long elements = 1;
            for (long d : eps.imageShape()) {
                elements *= d;
            }
            memory =
                    new MemoryModel(
                            purify.spec().chain(eps.schedule()).length(),
                            elements,
                            eps.graphBytesPerImage(),
                            classifier.graphBytesPerImage());
        }
        try {
            return GradientPlan.resolve(
                    attack.gradientMode(), budget, runtime.microBatchRows(), callRows, memory);
        } catch (IllegalArgumentException e) {
            throw new ConfigError(e.getMessage(), e);
        }
    }
}
