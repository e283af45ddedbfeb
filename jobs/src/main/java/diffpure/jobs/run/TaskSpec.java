package diffpure.jobs.run;

import diffpure.attack.Attacks;
import diffpure.config.ExperimentConfig;
import diffpure.eval.StepRowCost;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientPlan;
import diffpure.model.ModelManifest;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.NoiseWorkers;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import diffpure.purify.Purifiers;
import diffpure.sde.ReverseChain;
import java.io.Serializable;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * What a task computes, resolved once on the driver from one setting's config and the two models'
 * manifests, and shipped to the executors with the task: the purifier spec and its chain length,
 * the gradient plan (mode and rows per model call), the attack's main budget and the step-rows a
 * row costs. The gradient plan is a function of the config ({@code runtime.memory-budget}, not the
 * executor's free memory) and the manifests only, so {@code attack.gradient-mode = auto} resolves
 * here too, to what every executor, retry, resume and replay would derive. The attack itself is
 * built once per task on the executor ({@link ExecutorContext#attack}: lf measures its bound with
 * the executor's perceptual model).
 *
 * @param config the setting's config (a sweep: one of {@link ExperimentConfig#settings()})
 * @param purifier the purifier (purify.*, checked)
 * @param steps the purifier chain's length on the score model's schedule
 * @param plan the gradient plan
 * @param attackIterations the attack's effective main budget, the preset's when attack.iterations
 *     is 0 (samples column iterations)
 * @param cost the step-rows of each kind of row (the chains they go through)
 */
public record TaskSpec(
        ExperimentConfig config,
        PurifierSpec purifier,
        int steps,
        GradientPlan plan,
        int attackIterations,
        StepRowCost cost)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * The manifests of a config's score model and classifier, from which its specs are resolved.
     *
     * @param scoreModel the score model's manifest
     * @param classifier the classifier's manifest
     */
    public record Manifests(ModelManifest scoreModel, ModelManifest classifier) {
        /**
         * The manifests of the config's models, read through Hadoop on the driver (no model bytes
         * move).
         */
        public static Manifests read(ExperimentConfig c, Configuration conf) {
            return new Manifests(
                    ModelCache.fullManifestOf(
                            c.models().scoreModel(), conf, c.models().manifestLimits()),
                    ModelCache.fullManifestOf(
                            c.models().classifier(), conf, c.models().manifestLimits()));
        }

        /**
         * The spec of a config on these models.
         *
         * @throws diffpure.config.ConfigError when the attack's settings are refused, a budget
         *     nothing fits is set, or auto has none
         */
        public TaskSpec spec(ExperimentConfig c) {
            PurifierSpec purifier = Purifiers.spec(c.purify());
            ReverseChain chain = purifier.chain(scoreModel.schedule());
            return new TaskSpec(
                    c,
                    purifier,
                    chain.length(),
                    GradientPlan.forRun(c, scoreModel, classifier),
                    Attacks.build(c.attack()).iterations(),
                    StepRowCost.forRun(c, chain));
        }

        /** One spec per setting of a run ({@link ExperimentConfig#settings()}), in their order. */
        public List<TaskSpec> settings(ExperimentConfig c) {
            return c.settings().stream().map(this::spec).toList();
        }
    }

    /** This spec with another gradient plan (the sanity checks' exact reference). */
    public TaskSpec withPlan(GradientPlan other) {
        return new TaskSpec(config, purifier, steps, other, attackIterations, cost);
    }

    /** The purifier of this spec on this JVM's models. */
    public DiffusionPurifier purifierOn(ExecutorContext ctx) {
        PtScoreModel scoreModel = ctx.scoreModel();
        return Purifiers.purifier(
                purifier,
                Purifiers.inputResize(config.purify()),
                scoreModel,
                scoreModel.manifest().schedule(),
                ctx.classifier());
    }

    /**
     * The defended model of this spec on this JVM's models: the purifier, then the classifier, in
     * the plan's gradient mode with the run's EOT and seed, its noise drawn ahead as
     * runtime.noise-threads says for this device.
     */
    public DefendedModel defendedModel(ExecutorContext ctx) {
        PtClassifier clf = ctx.classifier();
        return DefendedModel.of(
                        purifierOn(ctx), clf, plan, config.attack().eot(), config.run().seed())
                .withNoiseWorkers(
                        NoiseWorkers.forDevice(config.runtime().noiseThreads(), ctx.device()));
    }
}
