package diffpure.jobs.evaluate;

import diffpure.attack.Attack;
import diffpure.attack.Attacks;
import diffpure.attack.Pgd;
import diffpure.config.ConfigError;
import diffpure.config.ExperimentConfig;
import diffpure.config.ManifestLimits;
import diffpure.eval.GradientMaskingChecks;
import diffpure.jobs.run.ModelCache;
import diffpure.jobs.run.TaskSpec;
import diffpure.model.ModelKind;
import diffpure.model.ModelManifest;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.InputResize;
import diffpure.purify.Purifiers;
import diffpure.sde.ReverseChain;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;

/**
 * What the driver checks before launching anything, from the config and the two model manifests (no
 * model is loaded, no pixel read), so that no such error first appears on an executor: the attack's
 * settings (a setting it would ignore is refused), the purifier chain against the score model's
 * trained time range, the classifier's class count against {@code data.classes} and the attack's
 * needs, equal image shapes, EOT on a randomized defence, and the gradient mode an attack requires.
 * Errors name the config key.
 */
public final class Preflight {
    private Preflight() {}

    /**
     * Checks a run's config against its models.
     *
     * @return the two manifests it read, from which the run's task specs are resolved
     * @throws RuntimeException ({@link ConfigError}, IllegalArgumentException or a model error)
     *     naming the key, the value and the model
     */
    public static TaskSpec.Manifests check(ExperimentConfig c, Configuration conf) {
        Attack attack = Attacks.build(c.attack());
        ModelManifest scoreModel =
                manifest(c.models().scoreModel(), conf, c.models().manifestLimits());
        ModelManifest clf = manifest(c.models().classifier(), conf, c.models().manifestLimits());
        if (scoreModel.kind() != ModelKind.SCORE_MODEL) {
            throw new ConfigError(
                    "model.score-model = "
                            + c.models().scoreModel()
                            + " is a "
                            + scoreModel.kind().label()
                            + " model, not a score model");
        }
        if (clf.kind() != ModelKind.CLASSIFIER) {
            throw new ConfigError(
                    "model.classifier = "
                            + c.models().classifier()
                            + " is a "
                            + clf.kind().label()
                            + " model, not a classifier");
        }
        if (clf.classes() != c.data().classes()) {
            throw new ConfigError(
                    "data.classes = "
                            + c.data().classes()
                            + " but the classifier "
                            + clf.name()
                            + " (model.classifier) has "
                            + clf.classes()
                            + " classes");
        }
        long[] cs = clf.imageShape();
        checkPerceptual(c, conf, clf);
        long[] es = scoreModel.imageShape();
        boolean resizable = cs.length == 3 && es.length == 3 && cs[0] == es[0];
        if (!Arrays.equals(cs, es)
                && (!resizable || Purifiers.inputResize(c.purify()) == InputResize.NONE)) {
            // The wording of InputResize.adapt, which the executors would otherwise reach.
            throw new ConfigError(
                    "the classifier "
                            + clf.name()
                            + " takes "
                            + new ai.djl.ndarray.types.Shape(cs)
                            + " images and the score model "
                            + scoreModel.name()
                            + " "
                            + new ai.djl.ndarray.types.Shape(es)
                            + (resizable
                                    ? "; set "
                                            + InputResize.KEY
                                            + " = bilinear to resize between them"
                                    : ": the channel counts differ, which no resize can pair")
                            + " (model.classifier, model.score-model)");
        }
        ReverseChain chain = Purifiers.spec(c.purify()).chain(scoreModel.schedule());
        DiffusionPurifier.checkTimeRange(
                chain, scoreModel.minTime(), scoreModel.maxTime(), scoreModel.name());
        attack.requireClassCount(clf.classes());
        boolean randomized =
                chain.forwardNoiseScale() > 0
                        || chain.steps().stream().anyMatch(s -> s.isStochastic());
        GradientMaskingChecks.requireEot(
                randomized,
                c.attack().eot(),
                attack,
                clf.name() + " defended by " + c.purify().kind() + " on " + scoreModel.name());
        if (attack instanceof Pgd p
                && !p.requiredGradientMode().isEmpty()
                && !p.requiredGradientMode().equals(c.attack().gradientMode())) {
            throw new ConfigError(
                    "attack.gradient-mode must be "
                            + p.requiredGradientMode()
                            + " for "
                            + c.attack().name()
                            + ", found '"
                            + c.attack().gradientMode()
                            + "'");
        }
        return new TaskSpec.Manifests(scoreModel, clf);
    }

    /**
     * model.perceptual, when set: a perceptual model taking the classifier's images (lf measures
     * the images the classifier sees).
     */
    private static void checkPerceptual(ExperimentConfig c, Configuration conf, ModelManifest clf) {
        if (!c.models().hasPerceptual()) {
            return;
        }
        long[] cs = clf.imageShape();
        ModelManifest net = manifest(c.models().perceptual(), conf, c.models().manifestLimits());
        if (net.kind() != ModelKind.PERCEPTUAL) {
            throw new ConfigError(
                    "model.perceptual = "
                            + c.models().perceptual()
                            + " is a "
                            + net.kind().label()
                            + " model, not a perceptual model");
        }
        if (!Arrays.equals(net.imageShape(), cs)) {
            throw new ConfigError(
                    "the perceptual model "
                            + net.name()
                            + " (model.perceptual) takes "
                            + new ai.djl.ndarray.types.Shape(net.imageShape())
                            + " images and the classifier "
                            + clf.name()
                            + " "
                            + new ai.djl.ndarray.types.Shape(cs)
                            + ": lf measures the classifier's images");
        }
    }

    /** A model's manifest, read through Hadoop (any file system) without moving the model. */
    static ModelManifest manifest(String uri, Configuration conf, ManifestLimits limits) {
        ModelCache.manifestOf(
                uri, conf, limits); // the model and a manifest exist, else a clear error
        return ModelCache.fullManifestOf(uri, conf, limits);
    }
}
