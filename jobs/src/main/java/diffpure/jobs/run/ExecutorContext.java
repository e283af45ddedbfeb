package diffpure.jobs.run;

import ai.djl.Device;
import diffpure.attack.Attack;
import diffpure.attack.Attacks;
import diffpure.config.ExperimentConfig;
import diffpure.data.Datasets;
import diffpure.data.ImageDataset;
import diffpure.model.PtClassifier;
import diffpure.model.PtPerceptualModel;
import diffpure.model.PtScoreModel;
import diffpure.torch.TorchThreads;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;

/**
 * What a task of this JVM computes with: the libtorch threads set, the models and the data set,
 * loaded once per JVM (an executor runs many tasks; loading a model costs seconds) and shared by
 * every task that asks for the same ones. Every kind of task (evaluation, rescore, sanity checks,
 * in-process shard, dry run, replay) takes its resources here.
 *
 * @param device the device the models are on
 * @param threads libtorch intra-op threads
 * @param scoreModel the score model
 * @param classifier the classifier
 * @param data the data set
 * @param perceptual the perceptual model of an lpips threat model (model.perceptual); null when
 *     none is set
 */
public record ExecutorContext(
        Device device,
        int threads,
        PtScoreModel scoreModel,
        PtClassifier classifier,
        ImageDataset data,
        PtPerceptualModel perceptual) {
    /** A context without a perceptual model. */
    public ExecutorContext(
            Device device,
            int threads,
            PtScoreModel scoreModel,
            PtClassifier classifier,
            ImageDataset data) {
        this(device, threads, scoreModel, classifier, data, null);
    }

    /** The run's attack, ready to run here (lf measures its bound with {@link #perceptual}). */
    public Attack attack(ExperimentConfig c) {
        return Attacks.build(c.attack(), perceptual);
    }

    /**
     * The spec of a config on this JVM's models, for work without a driver (replay, dry run,
     * in-process shards): what the driver resolves from the same manifests.
     */
    public TaskSpec spec(ExperimentConfig c) {
        return new TaskSpec.Manifests(scoreModel.manifest(), classifier.manifest()).spec(c);
    }

    /** Data sets opened by this JVM, by their config (read-only once open). */
    private static final ConcurrentMap<Object, ImageDataset> DATA = new ConcurrentHashMap<>();

    /**
     * This JVM's resources for a config on a device, with this many libtorch threads.
     *
     * @param conf Hadoop settings for remote models and data
     */
    public static ExecutorContext of(
            ExperimentConfig c, Device device, int threads, Configuration conf) {
        TorchThreads.ensure(threads);
        String cache = c.runtime().modelCacheDir();
        PtScoreModel scoreModel =
                ModelCache.scoreModel(
                        c.models().scoreModel(), device, cache, conf, c.models().manifestLimits());
        PtClassifier clf =
                ModelCache.classifier(
                        c.models().classifier(), device, cache, conf, c.models().manifestLimits());
        ImageDataset data = DATA.computeIfAbsent(c.data(), k -> Datasets.open(c.data(), conf));
        PtPerceptualModel perceptual =
                c.models().hasPerceptual()
                        ? ModelCache.perceptual(
                                c.models().perceptual(),
                                device,
                                cache,
                                conf,
                                c.models().manifestLimits())
                        : null;
        return new ExecutorContext(device, threads, scoreModel, clf, data, perceptual);
    }

    /** The Spark executor id of this JVM ("in-process" outside Spark). */
    public static String executorId() {
        SparkEnv env = SparkEnv.get();
        return env == null ? "in-process" : env.executorId();
    }
}
