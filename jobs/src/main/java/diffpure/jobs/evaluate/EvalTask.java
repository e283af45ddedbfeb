package diffpure.jobs.evaluate;

import ai.djl.Device;
import diffpure.config.ExperimentConfig;
import diffpure.eval.SampleOutcome;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.run.HadoopConfs;
import diffpure.jobs.run.ModelCache;
import diffpure.jobs.run.PartitionWork;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.run.TaskSpec;
import diffpure.jobs.store.Provenance;
import diffpure.jobs.store.SampleFacts;
import diffpure.jobs.store.SamplesTable;
import diffpure.torch.Devices;
import diffpure.torch.NativeWork;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The executor side of a run: a small serializable spec (each setting's {@link TaskSpec}, the
 * provenance, the counters the driver reads) and the function that turns one planned partition into
 * rows.
 *
 * @param settings per setting of the run (a sweep's eps or t*; one otherwise), what its tasks
 *     compute, resolved on the driver
 * @param provenance fixed on the driver
 * @param done samples finished, added per batch (the driver's progress line reads it, also from
 *     running tasks through executor heartbeats)
 * @param modelLoads per task, "executor pid score-model-loads classifier-loads" of the JVM that ran
 *     it: how the driver learns that each executor JVM loaded each model once
 * @param sanity the run's gradient-masking checks (their subset's rows carry the warnings)
 * @param gallery ids of the samples whose rows carry the report gallery's pictures
 *     (report.gallery-samples: the first planned samples)
 */
public record EvalTask(
        List<TaskSpec> settings,
        Provenance provenance,
        LongAccumulator done,
        CollectionAccumulator<String> modelLoads,
        SanityTask.Result sanity,
        Set<Long> gallery)
        implements FlatMapFunction<Iterator<PartitionWork>, Row> {
    private static final long serialVersionUID = 1L;

    @Override
    public Iterator<Row> call(Iterator<PartitionWork> it) {
        TaskContext tc = TaskContext.get();
        int attempt = tc == null ? 0 : tc.attemptNumber();
        List<Row> rows = new ArrayList<>();
        try (NativeWork.Scope computing = NativeWork.enter()) {
            while (it.hasNext()) {
                rows.addAll(run(it.next(), attempt));
            }
        }
        return rows.iterator();
    }

    private List<Row> run(PartitionWork w, int attempt) {
        // A sweep's setting (its eps or t*); the run's config otherwise.
        TaskSpec spec = settings.get(w.setting());
        ExperimentConfig config = spec.config();
        int threads = config.runtime().torchThreads();
        ExecutorContext ctx =
                ExecutorContext.of(config, device(), threads, HadoopConfs.fromSparkEnv());
        Device device = ctx.device();
        if (modelLoads != null) {
            modelLoads.add(
                    ExecutorContext.executorId()
                            + " "
                            + ProcessHandle.current().pid()
                            + " "
                            + ModelCache.loads(config.models().scoreModel(), device)
                            + " "
                            + ModelCache.loads(config.models().classifier(), device)
                            + " "
                            + (config.models().hasPerceptual()
                                    ? ModelCache.loads(config.models().perceptual(), device)
                                    : 0));
        }
        SampleFacts.Setting setting =
                new SampleFacts.Setting(
                        config,
                        spec.steps(),
                        spec.plan().mode(),
                        spec.attackIterations(),
                        spec.cost());
        BatchRunner runner = new BatchRunner(spec, ctx);
        SampleFacts.Place place =
                new SampleFacts.Place(
                        ExecutorContext.executorId(), Devices.name(device), attempt, threads);
        List<Row> rows = new ArrayList<>();
        int batches = w.samples().stream().mapToInt(SampleRef::batch).max().orElse(-1) + 1;
        for (int b = 0; b < batches; b++) {
            final int batch = b;
            List<SampleRef> refs = w.samples().stream().filter(r -> r.batch() == batch).toList();
            List<BatchRunner.Result> results = runner.run(refs, onCompute(attempt));
            Map<Long, SampleFacts.Gallery> pictures =
                    gallery.isEmpty() ? Map.of() : GalleryCopies.of(runner, ctx, results, gallery);
            for (BatchRunner.Result r : results) {
                rows.add(
                        SamplesTable.row(
                                facts(
                                        new Where(setting, place, w),
                                        r,
                                        pictures.get(r.ref().id()))));
            }
            if (done != null) {
                done.add(refs.size());
            }
        }
        return rows;
    }

    /** The setting, place and partition every row of a partition shares. */
    private record Where(SampleFacts.Setting setting, SampleFacts.Place place, PartitionWork w) {}

    /** What the samples table reads of one sample's result. */
    private SampleFacts facts(Where where, BatchRunner.Result r, SampleFacts.Gallery pictures) {
        PartitionWork w = where.w();
        SampleOutcome o = r.outcome();
        SampleRef ref = r.ref();
        boolean inSubset = sanity.ids().contains(ref.id());
        List<String> warnings = new ArrayList<>(o == null ? List.of() : o.diagnostics().warnings());
        if (inSubset) {
            sanity.warnings().forEach(x -> warnings.add("gradient-masking check: " + x));
        }
        return new SampleFacts(
                provenance,
                where.setting(),
                new SampleFacts.Position(
                        w.chunk(), w.partition(), ref.batch(), ref.index(), ref.id(), ref.label()),
                where.place(),
                new SampleFacts.Result(o, r.error(), r.errorKind()),
                new SampleFacts.Checks(inSubset, warnings, sanity.adjointCosine().get(ref.id())),
                pictures);
    }

    /**
     * Compute failures fail the task (Spark retries it) on every attempt but the last allowed one,
     * where in continue mode they become error rows of kind compute.
     */
    private static BatchRunner.ComputeFailure onCompute(int attempt) {
        return attempt + 1 >= maxAttempts()
                ? BatchRunner.ComputeFailure.RECORD
                : BatchRunner.ComputeFailure.FAIL_TASK;
    }

    /**
     * Attempts Spark allows a task: {@code spark.task.maxFailures} (4), except in local mode, where
     * Spark takes F from {@code local[N,F]} and allows one attempt otherwise.
     */
    static int maxAttempts() {
        SparkEnv env = SparkEnv.get();
        if (env == null) {
            return 1;
        }
        return maxAttempts(
                env.conf().get("spark.master", ""), env.conf().getInt("spark.task.maxFailures", 4));
    }

    /** {@link #maxAttempts()} for a master URL and the configured maxFailures. */
    static int maxAttempts(String master, int maxFailures) {
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("local\\[([0-9]+|\\*),\\s*([0-9]+)\\]")
                        .matcher(master);
        if (m.matches()) {
            return Integer.parseInt(m.group(2));
        }
        if (master.equals("local") || master.startsWith("local[")) {
            return 1;
        }
        return Math.max(maxFailures, 1);
    }

    /**
     * The task's GPU when Spark assigned it one (spark.task.resource.gpu.amount), else the
     * config's.
     */
    private Device device() {
        TaskContext tc = TaskContext.get();
        if (tc != null) {
            ResourceInformation gpu = tc.resources().get("gpu").getOrElse(() -> null);
            if (gpu != null && gpu.addresses().length > 0) {
                return Devices.parse("gpu:" + gpu.addresses()[0]);
            }
        }
        return Devices.parse(settings.get(0).config().runtime().device());
    }
}
