package diffpure.jobs.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import diffpure.config.ExperimentConfig;
import diffpure.data.ImageDataset;
import diffpure.data.Sample;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientPlan;
import diffpure.jobs.report.Setting;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.run.HadoopConfs;
import diffpure.jobs.store.RescoresTable;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.Purifiers;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The executor side of a rescore: re-votes the clean images and the stored adversarial images
 * (clean + stored perturbation) of planned batches under the rescore's purifier, classifier and K,
 * with the votes' own noise keys (run seed, sample, purpose, draw), so that the source settings
 * reproduce the source votes. Nothing is attacked again.
 *
 * @param config the rescore's config (the source run's with the overrides)
 * @param meta what every row carries
 */
public record RescoreTask(ExperimentConfig config, Meta meta)
        implements FlatMapFunction<Iterator<RescoreTask.Work>, Row> {
    private static final long serialVersionUID = 1L;

    /**
     * Fixed on the driver.
     *
     * @param rescoreId rescore id
     * @param sourceRunId the source run
     * @param sourceConfigHash the source run's config hash
     * @param source the source setting (the link columns)
     * @param classifierName the rescore classifier's name (manifest)
     * @param classifierSha256 its sha256
     * @param scoreModelName the rescore score model's name
     * @param gitSha commit of the code
     */
    public record Meta(
            String rescoreId,
            String sourceRunId,
            String sourceConfigHash,
            Setting source,
            String classifierName,
            String classifierSha256,
            String scoreModelName,
            String gitSha)
            implements Serializable {}

    /**
     * One task: a planned partition of the source run with the stored perturbations of its samples
     * (samples whose source row has an error are left out).
     *
     * @param chunk the rescore chunk (partition column)
     * @param samples planned samples, in plan order, with their batch numbers
     * @param perturbations stored perturbation per sample id
     */
    public record Work(int chunk, List<SampleRef> samples, Map<Long, float[]> perturbations)
            implements Serializable {}

    @Override
    public Iterator<Row> call(Iterator<Work> it) {
        List<Row> rows = new ArrayList<>();
        while (it.hasNext()) {
            rows.addAll(run(it.next()));
        }
        return rows.iterator();
    }

    private List<Row> run(Work w) {
        int threads = config.runtime().torchThreads();
        ExecutorContext ctx =
                ExecutorContext.of(
                        config,
                        diffpure.torch.Devices.parse(config.runtime().device()),
                        threads,
                        HadoopConfs.fromSparkEnv());
        Device device = ctx.device();
        PtScoreModel scoreModel = ctx.scoreModel();
        PtClassifier clf = ctx.classifier();
        ImageDataset data = ctx.data();
        int steps =
                Purifiers.spec(config.purify()).chain(scoreModel.manifest().schedule()).length();
        Where where = new Where(steps, ExecutorContext.executorId(), device, threads);
        List<Row> rows = new ArrayList<>();
        int batches = w.samples().stream().mapToInt(SampleRef::batch).max().orElse(-1) + 1;
        for (int b = 0; b < batches; b++) {
            final int batch = b;
            List<SampleRef> refs =
                    w.samples().stream()
                            .filter(
                                    r ->
                                            r.batch() == batch
                                                    && w.perturbations().containsKey(r.id()))
                            .toList();
            if (refs.isEmpty()) {
                continue;
            }
            long t0 = System.nanoTime();
            Votes v = vote(scoreModel, clf, device, data, refs, w.perturbations());
            double seconds = (System.nanoTime() - t0) / 1e9 / refs.size();
            for (int i = 0; i < refs.size(); i++) {
                rows.add(row(w.chunk(), refs.get(i), v, i, seconds, where));
            }
        }
        return rows;
    }

    /** Votes of one batch: per sample K predictions and the averaged-logit prediction. */
    record Votes(int[][] clean, int[][] adversarial, int[] cleanLogit, int[] adversarialLogit) {}

    private Votes vote(
            PtScoreModel scoreModel,
            PtClassifier clf,
            Device device,
            ImageDataset data,
            List<SampleRef> refs,
            Map<Long, float[]> perturbations) {
        DiffusionPurifier purifier =
                Purifiers.purifier(
                        config.purify(), scoreModel, scoreModel.manifest().schedule(), clf);
        long seed = config.run().seed();
        DefendedModel model =
                DefendedModel.of(
                        purifier,
                        clf,
                        GradientPlan.forRun(config, scoreModel.manifest(), clf.manifest()),
                        config.attack().eot(),
                        seed);
        Shape shape = clf.imageShape();
        int per = (int) shape.size();
        int b = refs.size();
        float[] clean = new float[b * per];
        float[] adv = new float[b * per];
        long[] ids = new long[b];
        for (int i = 0; i < b; i++) {
            SampleRef r = refs.get(i);
            Sample s = data.get(r.index());
            float[] d = perturbations.get(r.id());
            if (s.image().length != per || d.length != per) {
                throw new IllegalArgumentException(
                        "sample "
                                + r.id()
                                + " has "
                                + s.image().length
                                + " pixels and a stored perturbation of "
                                + d.length
                                + ", the classifier takes "
                                + shape);
            }
            for (int k = 0; k < per; k++) {
                clean[i * per + k] = s.image()[k];
                // The evaluation stored adversarial - clean in float32; adding it back gives the
                // adversarial image the votes saw.
                adv[i * per + k] = s.image()[k] + d[k];
            }
            ids[i] = r.id();
        }
        int k = config.eval().votes();
        try (NDManager m = NDManager.newBaseManager(device)) {
            NDArray x = m.create(clean, new Shape(b).addAll(shape));
            NDArray lc = model.logits(x, ids, Purpose.VOTE_CLEAN, 0, k);
            NDArray xa = m.create(adv, new Shape(b).addAll(shape));
            NDArray la = model.logits(xa, ids, Purpose.VOTE_ADVERSARIAL, 0, k);
            return new Votes(
                    predictions(lc, b, k),
                    predictions(la, b, k),
                    ints(lc.mean(new int[] {1}).argMax(1), b),
                    ints(la.mean(new int[] {1}).argMax(1), b));
        }
    }

    private static int[][] predictions(NDArray logits, int b, int k) {
        long[] p = logits.argMax(2).toType(DataType.INT64, false).toLongArray();
        int[][] out = new int[b][k];
        for (int s = 0; s < b; s++) {
            for (int j = 0; j < k; j++) {
                out[s][j] = (int) p[s * k + j];
            }
        }
        return out;
    }

    private static int[] ints(NDArray a, int b) {
        long[] p = a.toType(DataType.INT64, false).toLongArray();
        int[] out = new int[b];
        for (int i = 0; i < b; i++) {
            out[i] = (int) p[i];
        }
        return out;
    }

    /** Where a rescore ran: the chain's steps, the executor, its device and libtorch threads. */
    private record Where(int steps, String executor, Device device, int threads) {}

    private Row row(int chunk, SampleRef r, Votes v, int i, double seconds, Where where) {
        int steps = where.steps();
        String executor = where.executor();
        Device device = where.device();
        int threads = where.threads();
        Setting s = meta.source();
        int k = config.eval().votes();
        int label = r.label();
        Object[] o = {
            RescoresTable.SCHEMA_VERSION,
            meta.rescoreId(),
            chunk,
            meta.sourceRunId(),
            meta.sourceConfigHash(),
            r.id(),
            label,
            s.dataset(),
            s.attack(),
            s.norm(),
            s.eps(),
            s.purifier(),
            s.tStar(),
            s.steps(),
            s.classifier(),
            s.scoreModel(),
            s.votes(),
            config.purify().kind(),
            config.purify().tStar(),
            steps,
            meta.classifierName(),
            meta.classifierSha256(),
            meta.scoreModelName(),
            k,
            boxed(v.clean()[i]),
            boxed(v.adversarial()[i]),
            diffpure.eval.Votes.correct(v.clean()[i], label),
            diffpure.eval.Votes.correct(v.adversarial()[i], label),
            v.cleanLogit()[i],
            v.adversarialLogit()[i],
            v.cleanLogit()[i] == label,
            v.adversarialLogit()[i] == label,
            2L * k,
            seconds,
            executor,
            EvalTask.deviceName(device),
            threads,
            config.run().seed(),
            null,
            meta.gitSha(),
            config.configHash()
        };
        return RowFactory.create(o);
    }

    private static Integer[] boxed(int[] a) {
        Integer[] b = new Integer[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }
}
