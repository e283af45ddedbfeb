package diffpure.config;

import java.io.Serializable;

/**
 * Where and how the models run.
 *
 * @param device cpu, gpu, gpu:N or auto; a Spark task's GPU resource, when it has one, wins
 * @param torchThreads libtorch intra-op threads per task
 * @param microBatchRows most rows per model call (0: no limit)
 * @param memoryBudget bytes one model call may use (0: no limit); rows per call are derived from it
 *     per gradient mode and image shape (diffpure.gradient.GradientPlan), capped by microBatchRows
 * @param modelCacheDir local directory remote models are copied to ("": java.io.tmpdir)
 * @param noiseThreads host threads that draw the next step's noise during a model call (-1: auto,
 *     up to 4 on a GPU and none on a CPU; 0: none)
 * @param backpropMinRows fewest rows per call at which attack.gradient-mode = auto takes backprop
 *     (when a whole call fits in fewer rows, that is enough)
 */
public record RuntimeSettings(
        String device,
        int torchThreads,
        int microBatchRows,
        long memoryBudget,
        String modelCacheDir,
        int noiseThreads,
        int backpropMinRows)
        implements Serializable {}
