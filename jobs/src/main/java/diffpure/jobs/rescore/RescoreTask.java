package diffpure.jobs.rescore;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import diffpure.config.ExperimentConfig;
import diffpure.data.ImageDataset;
import diffpure.data.Sample;
import diffpure.gradient.DefendedModel;
import diffpure.jobs.report.Setting;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.run.HadoopConfs;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.run.TaskSpec;
import diffpure.jobs.store.RescoresTable;
import diffpure.noise.Purpose;
import diffpure.torch.Devices;
import diffpure.torch.NativeWork;
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
 * @param spec the rescore's spec (the source run's config with the overrides), resolved on the
 *     driver
 * @param meta what every row carries
 */
public record RescoreTask(TaskSpec spec, Meta meta)
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
     * @param pass a rescore or a strongest-evidence pass
     */
    public record Meta(
            String rescoreId,
            String sourceRunId,
            String sourceConfigHash,
            Setting source,
            String classifierName,
            String classifierSha256,
            String scoreModelName,
            String gitSha,
            Pass pass)
            implements Serializable {}

    /**
     * The kind of pass: a rescore re-votes with the votes' own noise keys (so the source settings
     * reproduce the source votes); a strongest-evidence pass votes on the adversarial image with
     * {@link Purpose#VOTE_FRESH} draws, independent of the recorded votes that chose it.
     *
     * @param kind rescore_kind
     * @param adversarialVotes the purpose of the adversarial votes' draws
     * @param excluded run ids the pass left out (rows' excluded_runs; empty for a rescore)
     */
    public record Pass(String kind, Purpose adversarialVotes, List<String> excluded)
            implements Serializable {
        /** A rescore of one run. */
        public static final Pass RESCORE =
                new Pass(RescoresTable.RESCORE, Purpose.VOTE_ADVERSARIAL, List.of());

        public Pass {
            excluded = List.copyOf(excluded);
        }

        /** A strongest-evidence pass that left these runs out. */
        public static Pass strongest(List<String> excluded) {
            return new Pass(RescoresTable.STRONGEST, Purpose.VOTE_FRESH, excluded);
        }
    }

    /**
     * Why a strongest-evidence pass chose a sample's image.
     *
     * @param selectedBy the run or rescore whose recorded votes were fewest correct
     * @param correct those votes' correct count
     * @param votes their K
     * @param candidates candidate images of the sample
     */
    public record Selection(String selectedBy, int correct, int votes, int candidates)
            implements Serializable {}

    /**
     * One task: a planned partition of the source run with the stored perturbations of its samples
     * (samples whose source row has an error are left out).
     *
     * @param chunk the rescore chunk (partition column)
     * @param samples planned samples, in plan order, with their batch numbers
     * @param perturbations stored perturbation per sample id
     * @param selections per sample id, why it was chosen (strongest-evidence passes; else empty)
     */
    public record Work(
            int chunk,
            List<SampleRef> samples,
            Map<Long, float[]> perturbations,
            Map<Long, Selection> selections)
            implements Serializable {
        /** Work of a rescore (no selections). */
        public Work(int chunk, List<SampleRef> samples, Map<Long, float[]> perturbations) {
            this(chunk, samples, perturbations, Map.of());
        }
    }

    @Override
    public Iterator<Row> call(Iterator<Work> it) {
        List<Row> rows = new ArrayList<>();
        try (NativeWork.Scope computing = NativeWork.enter()) {
            while (it.hasNext()) {
                rows.addAll(run(it.next()));
            }
        }
        return rows.iterator();
    }

    private List<Row> run(Work w) {
        ExperimentConfig config = spec.config();
        int threads = config.runtime().torchThreads();
        ExecutorContext ctx =
                ExecutorContext.of(
                        config,
                        diffpure.torch.Devices.parse(config.runtime().device()),
                        threads,
                        HadoopConfs.fromSparkEnv());
        Where where = new Where(spec.steps(), ExecutorContext.executorId(), ctx.device(), threads);
        DefendedModel model = spec.defendedModel(ctx);
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
            Votes v = vote(model, ctx, refs, w.perturbations());
            double seconds = (System.nanoTime() - t0) / 1e9 / refs.size();
            for (int i = 0; i < refs.size(); i++) {
                rows.add(
                        withPass(
                                row(w.chunk(), refs.get(i), v, i, seconds, where),
                                w.selections().get(refs.get(i).id())));
            }
        }
        return rows;
    }

    /** Votes of one batch: per sample K predictions and the averaged-logit prediction. */
    record Votes(int[][] clean, int[][] adversarial, int[] cleanLogit, int[] adversarialLogit) {}

    private Votes vote(
            DefendedModel model,
            ExecutorContext ctx,
            List<SampleRef> refs,
            Map<Long, float[]> perturbations) {
        ImageDataset data = ctx.data();
        Shape shape = ctx.classifier().imageShape();
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
        int k = spec.config().eval().votes();
        try (NDManager m = NDManager.newBaseManager(ctx.device())) {
            NDArray x = m.create(clean, new Shape(b).addAll(shape));
            NDArray lc = model.logits(x, ids, Purpose.VOTE_CLEAN, 0, k);
            NDArray xa = m.create(adv, new Shape(b).addAll(shape));
            NDArray la = model.logits(xa, ids, meta.pass().adversarialVotes(), 0, k);
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
        ExperimentConfig config = spec.config();
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
            Devices.name(device),
            threads,
            config.run().seed(),
            null,
            meta.gitSha(),
            config.configHash()
        };
        return RowFactory.create(o);
    }

    /** A rescore row with the pass columns of schema 2 appended. */
    private Row withPass(Row base, Selection s) {
        Pass p = meta.pass();
        Object[] o = new Object[base.length() + 7];
        for (int i = 0; i < base.length(); i++) {
            o[i] = base.get(i);
        }
        int i = base.length();
        o[i] = p.kind();
        o[i + 1] = s == null ? null : s.selectedBy();
        o[i + 2] = s == null ? null : s.correct();
        o[i + 3] = s == null ? null : s.votes();
        o[i + 4] = s == null ? null : s.candidates();
        o[i + 5] = p.excluded().toArray(new String[0]);
        o[i + 6] = new java.sql.Timestamp(System.currentTimeMillis());
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
