package diffpure.jobs.evaluate;

import ai.djl.ndarray.NDManager;
import diffpure.attack.Attack;
import diffpure.attack.Attacks;
import diffpure.config.ExperimentConfig;
import diffpure.data.Batch;
import diffpure.data.ImageDataset;
import diffpure.data.Sample;
import diffpure.data.SampleResult;
import diffpure.eval.RobustnessEvaluator;
import diffpure.eval.SampleOutcome;
import diffpure.gradient.DefendedModel;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.run.TaskSpec;
import diffpure.jobs.store.SamplesTable;
import diffpure.model.PtClassifier;
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
 *
 * <p>One runner serves the batches of a task: the attack and the defended model are built once, on
 * its first batch (inside that batch's error handling, as a failure to build them is the batch's).
 */
public final class BatchRunner {
    private final TaskSpec spec;
    private final ExecutorContext ctx;
    private Prepared prepared;

    /** What the batches of a task share, built on the first. */
    private record Prepared(DefendedModel model, RobustnessEvaluator evaluator) {}

    /**
     * A runner of the spec's batches on this JVM's models, data and device.
     *
     * @param spec the setting's spec, resolved on the driver
     * @param ctx the models, data and device of this JVM
     */
    public BatchRunner(TaskSpec spec, ExecutorContext ctx) {
        this.spec = spec;
        this.ctx = ctx;
    }

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
     * @param sample the sample as the batch read it (the clean image the gallery shows), null on a
     *     data error
     */
    public record Result(
            SampleRef ref, SampleOutcome outcome, String error, String errorKind, Sample sample) {
        /** A fine result. */
        static Result ok(SampleRef ref, SampleOutcome outcome, Sample sample) {
            return new Result(ref, outcome, null, null, sample);
        }

        /** A data error. */
        static Result data(SampleRef ref, String error) {
            return new Result(ref, null, error, SamplesTable.DATA, null);
        }

        /** A compute error of a sample that read fine. */
        static Result compute(SampleRef ref, String error, Sample sample) {
            return new Result(ref, null, error, SamplesTable.COMPUTE, sample);
        }
    }

    /** {@link #run(List, ComputeFailure)} where compute failures fail the task. */
    public List<Result> run(List<SampleRef> batch) {
        return run(batch, ComputeFailure.FAIL_TASK);
    }

    /**
     * Runs one batch.
     *
     * @param batch samples of one planned batch, in plan order
     * @param onCompute what a compute failure does in continue mode
     * @throws RuntimeException in fail-fast mode, naming the samples, when any sample or the batch
     *     fails; in continue mode on a compute failure unless {@code onCompute} is RECORD
     */
    public List<Result> run(List<SampleRef> batch, ComputeFailure onCompute) {
        ExperimentConfig c = spec.config();
        ImageDataset data = ctx.data();
        PtClassifier clf = ctx.classifier();
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
                List<SampleOutcome> outcomes = evaluate(samples);
                for (int i = 0; i < good.size(); i++) {
                    out.add(Result.ok(good.get(i), outcomes.get(i), samples.get(i)));
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
                for (int i = 0; i < good.size(); i++) {
                    out.add(
                            Result.compute(
                                    good.get(i),
                                    what + " (" + e.getClass().getName() + ")",
                                    samples.get(i)));
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

    /**
     * The defended model the batches run on (built with the attack on the first call): what the
     * gallery's pictures are purified by.
     */
    DefendedModel defendedModel() {
        return prepared().model();
    }

    private Prepared prepared() {
        if (prepared == null) {
            ExperimentConfig c = spec.config();
            Attack attack = ctx.attack(c);
            DefendedModel model = spec.defendedModel(ctx);
            prepared =
                    new Prepared(
                            model,
                            new RobustnessEvaluator(
                                    model,
                                    attack,
                                    c.eval().votes(),
                                    c.run().seed(),
                                    c.eval().cleanDuringCap(),
                                    c.eval().cleanDuringCopiesPerCall(),
                                    c.attack().successFraction(),
                                    Attacks.checkpoints(c.attack())));
        }
        return prepared;
    }

    /** The protocol with the spec's attack on samples already read, as one batch. */
    public List<SampleOutcome> evaluate(List<Sample> samples) {
        RobustnessEvaluator evaluator = prepared().evaluator();
        try (NDManager m = NDManager.newBaseManager(ctx.device())) {
            Batch b = Batch.of(m, samples, ctx.classifier().imageShape());
            return evaluator.evaluate(b.images(), b.labels(), b.ids());
        }
    }
}
