package diffpure.gradient;

import diffpure.config.AttackSettings;
import diffpure.config.ConfigError;
import diffpure.config.ExperimentConfig;
import diffpure.config.RuntimeSettings;
import diffpure.model.ModelManifest;
import diffpure.purify.Purifiers;

/**
 * The gradient mode a run uses and the rows of each model call, from the configured mode,
 * runtime.memory-budget and runtime.micro-batch-rows. With a budget, rows per call are the most
 * that {@link MemoryModel} fits in it (per mode, so a no-graph forward gets more rows than a
 * gradient), capped by micro-batch-rows when that is set too; {@code auto} picks the fastest exact
 * mode that fits: {@code backprop} when at least runtime.backprop-min-rows rows (or all rows of a
 * call) fit at once, else {@code exact}, else {@code checkpointed}, micro-batched to the budget.
 * backprop runs one forward with a graph and one backward per step where exact adds a forward
 * without a graph, about a third of exact's model time; below a few rows per call the per-row cost
 * of small calls eats that (BENCHMARKS.md, attack loop). Results do not depend on the split (see
 * {@link DefendedModel}).
 *
 * @param configuredMode attack.gradient-mode as configured (may be auto)
 * @param mode the mode used
 * @param gradientRows most rows per gradient call (0: no limit)
 * @param forwardRows most rows per forward call without a graph (0: no limit)
 * @param options the mode's settings beyond its name (surrogate's steps and noise)
 */
public record GradientPlan(
        String configuredMode,
        String mode,
        int gradientRows,
        int forwardRows,
        GradientOptions options)
        implements java.io.Serializable {
    /** A plan without mode options. */
    public GradientPlan(String configuredMode, String mode, int gradientRows, int forwardRows) {
        this(configuredMode, mode, gradientRows, forwardRows, GradientOptions.NONE);
    }

    /** The same plan with the mode's options. */
    public GradientPlan withOptions(GradientOptions newOptions) {
        return new GradientPlan(configuredMode, mode, gradientRows, forwardRows, newOptions);
    }

    /** The configured mode that resolves through the budget. */
    public static final String AUTO = "auto";

    /**
     * What bounds a call.
     *
     * @param budget runtime.memory-budget in bytes (0: no limit)
     * @param microBatchRows runtime.micro-batch-rows (0: no limit)
     * @param backpropMinRows runtime.backprop-min-rows: fewest rows per call at which auto takes
     *     backprop (a whole call in fewer rows is enough)
     */
    public record Limits(long budget, int microBatchRows, int backpropMinRows) {
        public Limits {
            if (budget < 0 || microBatchRows < 0 || backpropMinRows < 1) {
                throw new IllegalArgumentException(
                        "need runtime.memory-budget >= 0, runtime.micro-batch-rows >= 0 and"
                                + " runtime.backprop-min-rows >= 1, found "
                                + budget
                                + ", "
                                + microBatchRows
                                + ", "
                                + backpropMinRows);
            }
        }
    }

    /**
     * The gradient mode and rows per model call of a run: attack.gradient-mode (auto resolved),
     * runtime.memory-budget and runtime.micro-batch-rows, for calls of run.batch-samples ×
     * attack.eot rows. A function of the config and the two manifests only, so the driver, every
     * executor and every retry, resume or replay derive the same split.
     *
     * @throws ConfigError when the budget is set and a manifest has no graph-bytes-per-image, or
     *     when nothing fits the budget
     */
    public static GradientPlan forRun(
            ExperimentConfig c, ModelManifest scoreModel, ModelManifest classifier) {
        RuntimeSettings runtime = c.runtime();
        long budget = runtime.memoryBudget();
        int callRows = c.run().batchSamples() * c.attack().eot();
        MemoryModel memory = null;
        if (budget > 0) {
            for (ModelManifest m : new ModelManifest[] {scoreModel, classifier}) {
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
            for (long d : scoreModel.imageShape()) {
                elements *= d;
            }
            memory =
                    new MemoryModel(
                            Purifiers.spec(c.purify()).chain(scoreModel.schedule()).length(),
                            elements,
                            scoreModel.graphBytesPerImage(),
                            classifier.graphBytesPerImage());
        }
        try {
            return resolve(
                            c.attack().gradientMode(),
                            new Limits(budget, runtime.microBatchRows(), runtime.backpropMinRows()),
                            callRows,
                            memory)
                    .withOptions(options(c.attack()));
        } catch (IllegalArgumentException e) {
            throw new ConfigError(e.getMessage(), e);
        }
    }

    /**
     * The mode options of an attack's settings (attack.surrogate-steps, attack.surrogate-noise,
     * attack.surrogate-evaluation).
     */
    public static GradientOptions options(AttackSettings attack) {
        return new GradientOptions(
                attack.surrogateSteps(),
                SurrogateGradient.Noise.parse(attack.surrogateNoise()),
                SurrogateGradient.Evaluation.parse(attack.surrogateEvaluation()));
    }

    /**
     * Resolves a plan.
     *
     * @param configuredMode attack.gradient-mode
     * @param limits the budget, micro-batch rows and backprop's fewest rows
     * @param callRows rows one call is asked for (batch samples × EOT)
     * @param memory the memory model of the run's models and chain; used only with a budget
     * @throws IllegalArgumentException naming runtime.memory-budget when not even one row fits, or
     *     when auto has no budget
     */
    public static GradientPlan resolve(
            String configuredMode, Limits limits, int callRows, MemoryModel memory) {
        long budget = limits.budget();
        int microBatchRows = limits.microBatchRows();
        if (callRows < 1) {
            throw new IllegalArgumentException("need rows >= 1 per call, found " + callRows);
        }
        if (budget == 0) {
            if (configuredMode.equals(AUTO)) {
                throw new IllegalArgumentException(
                        "attack.gradient-mode = auto picks the mode that fits"
                                + " runtime.memory-budget, which is 0 (no limit): set"
                                + " runtime.memory-budget (e.g. \"8g\") or a gradient mode");
            }
            return new GradientPlan(configuredMode, configuredMode, microBatchRows, microBatchRows);
        }
        String mode = configuredMode;
        if (configuredMode.equals(AUTO)) {
            // backprop's rows must reach what exact would be limited to anyway (a whole call,
            // micro-batch-rows) or backprop-min-rows, where small calls stop costing more per row
            // than backprop saves
            int need = Math.min(callRows, limits.backpropMinRows());
            if (microBatchRows > 0) {
                need = Math.min(need, microBatchRows);
            }
            if (memory.rowsWithin("backprop", budget) >= need) {
                mode = "backprop";
            } else if (memory.rowsWithin("exact", budget) >= 1) {
                mode = "exact";
            } else {
                mode = "checkpointed";
            }
        }
        long rows = memory.rowsWithin(mode, budget);
        if (rows < 1) {
            throw new IllegalArgumentException(
                    "runtime.memory-budget = "
                            + MemoryModel.bytes(budget)
                            + " is less than one row of gradient mode "
                            + mode
                            + (configuredMode.equals(AUTO)
                                    ? " (attack.gradient-mode = auto: not even checkpointed fits)"
                                    : "")
                            + " needs: "
                            + MemoryModel.bytes(memory.bytesPerRow(mode))
                            + " ("
                            + memory.describe()
                            + "); raise runtime.memory-budget");
        }
        return new GradientPlan(
                configuredMode,
                mode,
                cap(rows, microBatchRows),
                cap(memory.rowsWithin(MemoryModel.FORWARD, budget), microBatchRows));
    }

    /** The smaller of the budget's rows and micro-batch-rows (when set), as an int. */
    private static int cap(long budgetRows, int microBatchRows) {
        long r = microBatchRows > 0 ? Math.min(budgetRows, microBatchRows) : budgetRows;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, r));
    }
}
