package diffpure.jobs.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.attack.Attack;
import diffpure.attack.Attacks;
import diffpure.config.ExperimentConfig;
import diffpure.data.ImageDataset;
import diffpure.data.Sample;
import diffpure.data.SampleResult;
import diffpure.eval.RobustnessEvaluator;
import diffpure.eval.SampleOutcome;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientPlan;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.store.SamplesTable;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.NoiseWorkers;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.Purifiers;
import diffpure.torch.NativeWork;
import java.util.ArrayList;
import java.util.List;

/**
 * Attack, purify and vote on one planned batch, in-process (no Spark): what an executor runs per
 * batch, and what a replay reruns. Errors are accounted, never hidden: a sample that cannot be read
 * or is invalid (a data error) becomes an error row of kind {@code data} in continue mode; a
 * compute failure (an engine or device error, out of native memory, non-finite logits or adjoint
 * state) fails the task so that Spark retries it, and only on the last allowed attempt in continue
 * mode becomes error rows of kind {@code compute}, which a resume recomputes. Fail-fast mode throws
 * on either.
 */
public final class BatchRunner {
    private BatchRunner() {}

    /** What a compute failure does in continue mode. */
    public enum ComputeFailure {
        /** Rethrow, so the task fails and Spark retries it (every attempt but the last). */
        FAIL_TASK,
        /** Record error rows of kind {@code compute} (the last allowed attempt). */
        RECORD
    }

    /**
     * The result of one sample.
     *
     * @param ref the planned sample
     * @param outcome the protocol's record, null on error
     * @param error what went wrong (naming file or sample), null when fine
     * @param errorKind {@link SamplesTable#DATA} or {@link SamplesTable#COMPUTE} when there is an
     *     error, else null
     */
    public record Result(SampleRef ref, SampleOutcome outcome, String error, String errorKind) {
        /** A fine result. */
        static Result ok(SampleRef ref, SampleOutcome outcome) {
            return new Result(ref, outcome, null, null);
        }

        /** A data error. */
        static Result data(SampleRef ref, String error) {
            return new Result(ref, null, error, SamplesTable.DATA);
        }
    }

    /**
     * {@link #run(ExperimentConfig, ExecutorContext, List, ComputeFailure)} where compute failures
     * fail the task.
     */
    public static List<Result> run(ExperimentConfig c, ExecutorContext ctx, List<SampleRef> batch) {
        return run(c, ctx, batch, ComputeFailure.FAIL_TASK);
    }

    /**
     * Runs one batch.
     *
     * @param ctx the models, data and device of this JVM
     * @param batch samples of one planned batch, in plan order
     * @param onCompute what a compute failure does in continue mode
     * @throws RuntimeException in fail-fast mode, naming the samples, when any sample or the batch
     *     fails; in continue mode on a compute failure unless {@code onCompute} is RECORD
     */
    public static List<Result> run(
            ExperimentConfig c,
            ExecutorContext ctx,
            List<SampleRef> batch,
            ComputeFailure onCompute) {
        ImageDataset data = ctx.data();
        PtScoreModel scoreModel = ctx.scoreModel();
        PtClassifier clf = ctx.classifier();
        Device device = ctx.device();
        boolean tolerant = c.run().continueOnError();
        int per = (int) clf.imageShape().size();
        List<Result> out = new ArrayList<>();
        List<SampleRef> good = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        for (SampleRef r : batch) {
            if (r.error() != null) {
                out.add(Result.data(r, r.error()));
                continue;
            }
            Sample s;
            if (tolerant) {
                SampleResult res = data.tryGet(r.index());
                if (!res.isOk()) {
                    out.add(Result.data(r, res.error()));
                    continue;
                }
                s = res.sample();
            } else {
                s = data.get(r.index());
            }
            String invalid = invalid(s, per, clf);
            if (invalid != null) {
                if (!tolerant) {
                    throw new IllegalArgumentException(invalid + " (" + data.source() + ")");
                }
                out.add(Result.data(r, invalid));
                continue;
            }
            samples.add(s);
            good.add(r);
        }
        if (!good.isEmpty()) {
            try {
                List<SampleOutcome> outcomes =
                        evaluate(c, ctx.attack(c), scoreModel, clf, device, samples);
                for (int i = 0; i < good.size(); i++) {
                    out.add(Result.ok(good.get(i), outcomes.get(i)));
                }
            } catch (NativeWork.Stopped e) {
                throw e; // the process is going down: no error rows
            } catch (RuntimeException e) {
                String ids = good.stream().map(r -> Long.toString(r.id())).toList().toString();
                String what =
                        "evaluating samples "
                                + ids
                                + " of "
                                + data.source()
                                + " failed: "
                                + e.getMessage();
                if (!tolerant || onCompute == ComputeFailure.FAIL_TASK) {
                    throw new IllegalStateException(what, e);
                }
                for (SampleRef r : good) {
                    out.add(
                            new Result(
                                    r,
                                    null,
                                    what + " (" + e.getClass().getName() + ")",
                                    SamplesTable.COMPUTE));
                }
            }
        }
        out.sort(java.util.Comparator.comparingInt(r -> batch.indexOf(r.ref())));
        return out;
    }

    /**
     * Why a sample cannot be evaluated (wrong size, non-finite or out-of-range pixels), or null.
     */
    static String invalid(Sample s, int per, PtClassifier clf) {
        if (s.image().length != per) {
            return "sample "
                    + s.id()
                    + " has "
                    + s.image().length
                    + " pixels, the classifier takes "
                    + clf.imageShape();
        }
        float[] img = s.image();
        for (int i = 0; i < img.length; i++) {
            if (!(img[i] >= 0f && img[i] <= 1f)) {
                return "sample " + s.id() + " has pixel " + i + " = " + img[i] + ", outside [0, 1]";
            }
        }
        if (s.label() < 0 || s.label() >= clf.classes()) {
            return "sample "
                    + s.id()
                    + " has label "
                    + s.label()
                    + ", the classifier has "
                    + clf.classes()
                    + " classes";
        }
        return null;
    }

    /** The defended model of a run. */
    static DefendedModel defendedModel(
            ExperimentConfig c, PtScoreModel scoreModel, PtClassifier clf, Device device) {
        DiffusionPurifier purifier =
                Purifiers.purifier(c.purify(), scoreModel, scoreModel.manifest().schedule(), clf);
        GradientPlan plan = GradientPlan.forRun(c, scoreModel.manifest(), clf.manifest());
        return DefendedModel.of(purifier, clf, plan, c.attack().eot(), c.run().seed())
                .withNoiseWorkers(NoiseWorkers.forDevice(c.runtime().noiseThreads(), device));
    }

    /**
     * The protocol on samples already read, as one batch (a run without a perceptual model: lf
     * needs {@link #evaluate(ExperimentConfig, Attack, PtScoreModel, PtClassifier, Device, List)}).
     */
    public static List<SampleOutcome> evaluate(
            ExperimentConfig c,
            PtScoreModel scoreModel,
            PtClassifier clf,
            Device device,
            List<Sample> samples) {
        return evaluate(c, Attacks.build(c.attack(), null), scoreModel, clf, device, samples);
    }

    /** The protocol with this (the run's) attack on samples already read, as one batch. */
    public static List<SampleOutcome> evaluate(
            ExperimentConfig c,
            Attack attack,
            PtScoreModel scoreModel,
            PtClassifier clf,
            Device device,
            List<Sample> samples) {
        long seed = c.run().seed();
        DefendedModel model = defendedModel(c, scoreModel, clf, device);
        RobustnessEvaluator evaluator =
                new RobustnessEvaluator(
                        model,
                        attack,
                        c.eval().votes(),
                        seed,
                        c.eval().cleanDuringCap(),
                        c.eval().cleanDuringCopiesPerCall(),
                        c.attack().successFraction(),
                        Attacks.checkpoints(c.attack()));
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
