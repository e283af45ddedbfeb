package diffpure.jobs.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.config.ExperimentConfig;
import diffpure.data.ImageDataset;
import diffpure.data.Sample;
import diffpure.data.SampleResult;
import diffpure.eval.RobustnessEvaluator;
import diffpure.eval.SampleOutcome;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientPlan;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.NoiseWorkers;
import diffpure.purify.DiffusionPurifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Attack, purify and vote on one planned batch, in-process (no Spark): what an executor runs per
 * batch, and what a replay reruns. Bad samples (unreadable data, and in continue-on-error mode a
 * batch the protocol fails on) come back as outcomes with an error instead of being dropped.
 */
public final class BatchRunner {
    private BatchRunner() {}

    /**
     * The result of one sample.
     *
     * @param ref the planned sample
     * @param outcome the protocol's record, null on error
     * @param error what went wrong (naming file or sample), null when fine
     */
    public record Result(SampleRef ref, SampleOutcome outcome, String error) {}

    /**
     * Runs one batch.
     *
     * @param batch samples of one planned batch, in plan order
     * @throws RuntimeException in fail-fast mode, naming the samples, when any sample or the batch
     *     fails
     */
    public static List<Result> run(
            ExperimentConfig c,
            ImageDataset data,
            PtScoreModel eps,
            PtClassifier clf,
            Device device,
            List<SampleRef> batch) {
        boolean tolerant = c.run().continueOnError();
        List<Result> errors = new ArrayList<>();
        List<SampleRef> good = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        for (SampleRef r : batch) {
            if (r.error() != null) {
                errors.add(new Result(r, null, r.error()));
                continue;
            }
            if (tolerant) {
                SampleResult s = data.tryGet(r.index());
                if (!s.isOk()) {
                    errors.add(new Result(r, null, s.error()));
                    continue;
                }
                samples.add(s.sample());
            } else {
                samples.add(data.get(r.index()));
            }
            good.add(r);
        }
        List<Result> out = new ArrayList<>(errors);
        if (good.isEmpty()) {
            return out;
        }
        try {
            List<SampleOutcome> outcomes = evaluate(c, eps, clf, device, samples);
            for (int i = 0; i < good.size(); i++) {
                out.add(new Result(good.get(i), outcomes.get(i), null));
            }
        } catch (RuntimeException e) {
            String ids = good.stream().map(r -> Long.toString(r.id())).toList().toString();
            if (!tolerant) {
                throw new IllegalStateException(
                        "evaluating samples "
                                + ids
                                + " of "
                                + data.source()
                                + " failed: "
                                + e.getMessage(),
                        e);
            }
            for (SampleRef r : good) {
                out.add(new Result(r, null, "batch with samples " + ids + " failed: " + e));
            }
        }
        out.sort(java.util.Comparator.comparingInt(r -> batch.indexOf(r.ref())));
        return out;
    }

    /** The protocol on samples already read, as one batch. */
    public static List<SampleOutcome> evaluate(
            ExperimentConfig c,
            PtScoreModel eps,
            PtClassifier clf,
            Device device,
            List<Sample> samples) {
        DiffusionPurifier purifier = c.purify().purifier(eps, eps.manifest().schedule(), clf);
        long seed = c.run().seed();
        GradientPlan plan = c.gradientPlan(eps.manifest(), clf.manifest());
        DefendedModel model =
                DefendedModel.of(purifier, clf, plan, c.attack().eot(), seed)
                        .withNoiseWorkers(
                                NoiseWorkers.forDevice(c.runtime().noiseThreads(), device));
        RobustnessEvaluator evaluator =
                new RobustnessEvaluator(
                        model,
                        c.attack().build(),
                        c.eval().votes(),
                        seed,
                        c.eval().cleanDuringCap(),
                        c.eval().chunk(),
                        c.attack().successFraction());
        Shape shape = clf.imageShape();
        int per = (int) shape.size();
        int b = samples.size();
        float[] pixels = new float[b * per];
        long[] labels = new long[b];
        long[] ids = new long[b];
        for (int i = 0; i < b; i++) {
            Sample s = samples.get(i);
            if (s.image().length != per) {
                throw new IllegalArgumentException(
                        "sample "
                                + s.id()
                                + " has "
                                + s.image().length
                                + " pixels, the classifier takes "
                                + shape);
            }
            System.arraycopy(s.image(), 0, pixels, i * per, per);
            labels[i] = s.label();
            ids[i] = s.id();
        }
        try (NDManager m = NDManager.newBaseManager(device)) {
            NDArray x = m.create(pixels, new Shape(b).addAll(shape));
            NDArray y = m.create(labels);
            return evaluator.evaluate(x, y, ids);
        }
    }
}
