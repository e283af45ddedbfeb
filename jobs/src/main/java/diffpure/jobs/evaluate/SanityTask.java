package diffpure.jobs.evaluate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.attack.Attack;
import diffpure.attack.Attacks;
import diffpure.attack.Square;
import diffpure.config.ConfigError;
import diffpure.config.ExperimentConfig;
import diffpure.config.SanitySettings;
import diffpure.data.Batch;
import diffpure.data.ImageDataset;
import diffpure.data.Sample;
import diffpure.data.SampleResult;
import diffpure.eval.AdjointAgreement;
import diffpure.eval.GradientMaskingChecks;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientPlan;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.run.HadoopConfs;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.run.TaskSpec;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.torch.Devices;
import diffpure.torch.NativeWork;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.util.LongAccumulator;

/**
 * The gradient-masking checks of a run ({@code sanity.*}), as Spark tasks before the chunks, one
 * per stage of the checks (and one for the adjoint comparison): the run's own defended model and
 * attack on the first {@code sanity.subset} planned samples that read fine. The driver {@link
 * #assemble}s the parts into the runs table's {@code sanity} JSON; the stages do not share noise,
 * so the result equals one sequential {@link GradientMaskingChecks#report}.
 *
 * @param spec the run's spec, resolved on the driver
 * @param subset the planned samples the checks use
 * @param rows where the tasks count the rows they compute (the driver's progress line)
 */
record SanityTask(TaskSpec spec, List<SampleRef> subset, Rows rows)
        implements Function<Integer, SanityTask.Part> {
    private static final long serialVersionUID = 1L;

    /**
     * The rows the checks' tasks computed, as Spark accumulators (the driver sees those of running
     * tasks with every executor heartbeat).
     *
     * @param gradient rows purified and classified with an input gradient
     * @param forward rows without
     */
    record Rows(LongAccumulator gradient, LongAccumulator forward) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** Two new accumulators on the driver. */
        static Rows register(JavaSparkContext jsc) {
            return new Rows(
                    jsc.sc().longAccumulator("diffpure checks gradient rows"),
                    jsc.sc().longAccumulator("diffpure checks forward rows"));
        }
    }

    /**
     * What the rows need to know of a run's checks.
     *
     * @param json the runs table's {@code sanity} column, null when the checks are off
     * @param ids the sample ids the checks used
     * @param warnings the checks' warnings, added to those rows
     * @param adjointCosine for a run with adjoint gradients, per sample of the subset the cosine
     *     between its adjoint and exact gradients for the same draw (rows: {@code adjoint_cosine});
     *     empty otherwise
     */
    record Result(
            String json, Set<Long> ids, List<String> warnings, Map<Long, Double> adjointCosine)
            implements Serializable {
        private static final long serialVersionUID = 1L;

        static final Result NONE = new Result(null, Set.of(), List.of(), Map.of());

        Result {
            ids = Set.copyOf(ids);
            warnings = List.copyOf(warnings);
            adjointCosine = Map.copyOf(adjointCosine);
        }

        /** The result stored in a runs row's JSON (a resume reuses it instead of rerunning). */
        static Result parse(String json, List<SampleRef> subset) {
            GradientMaskingChecks.Report report = GradientMaskingChecks.Report.parse(json);
            List<String> warnings = report.warnings();
            Set<Long> ids = new HashSet<>();
            subset.forEach(r -> ids.add(r.id()));
            Map<Long, Double> cosine = new HashMap<>();
            AdjointAgreement a = report.adjoint();
            if (a != null) {
                long[] sampleIds = a.sampleIds();
                double[] values = a.cosine();
                for (int i = 0; i < sampleIds.length; i++) {
                    // NaN (null in the JSON) where a gradient was all zero
                    if (!Double.isNaN(values[i])) {
                        cosine.put(sampleIds[i], values[i]);
                    }
                }
            }
            return new Result(json, ids, warnings, cosine);
        }
    }

    /**
     * The tasks a run's checks take: one per {@link GradientMaskingChecks.Stage}, plus one that
     * compares adjoint gradients with exact ones when the run uses adjoint.
     */
    static int taskCount(ExperimentConfig config) {
        return GradientMaskingChecks.Stage.values().length
                + (config.attack().gradientMode().equals("adjoint") ? 1 : 0);
    }

    /**
     * What one task measured, with the images' shape: a stage's outcome, or (the last task of an
     * adjoint run) the adjoint agreement or why it was skipped.
     */
    record Part(
            long[] imageShape,
            GradientMaskingChecks.StageOutcome stage,
            AdjointAgreement adjoint,
            GradientMaskingChecks.Check adjointSkipped)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** Task {@code index} of {@link #taskCount}. */
    @Override
    public Part call(Integer index) {
        try (NativeWork.Scope computing = NativeWork.enter()) {
            return compute(index);
        }
    }

    private Part compute(int index) {
        ExperimentConfig config = spec.config();
        ExecutorContext ctx =
                ExecutorContext.of(
                        config,
                        Devices.parse(config.runtime().device()),
                        config.runtime().torchThreads(),
                        HadoopConfs.fromSparkEnv());
        PtClassifier clf = ctx.classifier();
        ImageDataset data = ctx.data();
        int per = (int) clf.imageShape().size();
        List<Sample> samples = new ArrayList<>();
        for (SampleRef r : subset) {
            SampleResult s = data.tryGet(r.index());
            if (s.isOk() && BatchRunner.invalid(s.sample(), per, clf) == null) {
                samples.add(s.sample());
            }
        }
        var attack = ctx.attack(config);
        GradientMaskingChecks checks = GradientMaskingChecks.of(config.sanity(), attack.threat());
        GradientMaskingChecks.Stage[] stages = GradientMaskingChecks.Stage.values();
        try (NDManager m = NDManager.newBaseManager(ctx.device())) {
            Batch batch = Batch.of(m, samples, clf.imageShape());
            DefendedModel model =
                    spec.defendedModel(ctx)
                            .withRowMeter(
                                    (g, f) -> {
                                        rows.gradient().add(g);
                                        rows.forward().add(f);
                                    });
            long seed = config.run().seed();
            if (index < stages.length) {
                return new Part(
                        clf.imageShape().getShape(),
                        checks.runStage(
                                stages[index],
                                model,
                                attack,
                                batch.images(),
                                batch.labels(),
                                batch.ids(),
                                seed),
                        null,
                        null);
            }
            return adjointPart(checks, model, ctx, batch);
        }
    }

    /**
     * Runs the checks as {@link #taskCount} Spark tasks (one per stage, spread over the task slots)
     * and returns the runs table's {@code sanity} JSON.
     */
    static String run(JavaSparkContext jsc, TaskSpec spec, List<SampleRef> subset) {
        return run(jsc, spec, Attacks.build(spec.config().attack()), subset, Rows.register(jsc));
    }

    /**
     * As {@link #run(JavaSparkContext, TaskSpec, List)}, counting rows into rows.
     *
     * @param attack the run's attack as the driver builds it (its budget and threat model)
     */
    static String run(
            JavaSparkContext jsc, TaskSpec spec, Attack attack, List<SampleRef> subset, Rows rows) {
        ExperimentConfig config = spec.config();
        List<Integer> tasks = longestFirst(config, attack);
        return assemble(
                config,
                attack,
                jsc.parallelize(tasks, tasks.size())
                        .map(new SanityTask(spec, subset, rows))
                        .collect());
    }

    /**
     * The task indices, longest first by their row bounds (a gradient row weighed as three forward
     * rows: forward and backward through the chain): the slots start the longest tasks first
     * (Square's queries, the longer attack) and the short ones fill in, so the stage ends sooner
     * than in stage order. The result does not depend on the order.
     */
    static List<Integer> longestFirst(ExperimentConfig config, Attack attack) {
        int eot = config.attack().eot();
        SanitySettings s = config.sanity();
        long[] cost = new long[taskCount(config)];
        for (GradientMaskingChecks.Stage stage : GradientMaskingChecks.Stage.values()) {
            Attack a =
                    switch (stage) {
                        case MORE_ITERATIONS ->
                                attack.withIterations(
                                        (int) Math.ceil(attack.iterations() * s.iterationFactor()));
                        case SQUARE ->
                                !attack.threat().norm().boundsImage()
                                        ? null
                                        : Square.standard(attack.threat())
                                                .withIterations(s.squareQueries());
                        default -> attack;
                    };
            cost[stage.ordinal()] =
                    a == null ? 0 : 3 * DryRun.gradientRows(a, eot) + DryRun.forwardRows(a, eot);
        }
        if (cost.length > GradientMaskingChecks.Stage.values().length) {
            cost[cost.length - 1] = 6L * eot; // one adjoint and one exact gradient
        }
        List<Integer> tasks = new ArrayList<>();
        for (int i = 0; i < cost.length; i++) {
            tasks.add(i);
        }
        tasks.sort((a, b) -> Long.compare(cost[b], cost[a]));
        return tasks;
    }

    /** The runs table's {@code sanity} JSON from every task's part, with the run's attack. */
    static String assemble(ExperimentConfig config, Attack attack, List<Part> parts) {
        GradientMaskingChecks checks = GradientMaskingChecks.of(config.sanity(), attack.threat());
        List<GradientMaskingChecks.StageOutcome> outcomes = new ArrayList<>();
        Part adjoint = null;
        for (Part p : parts) {
            if (p.stage() != null) {
                outcomes.add(p.stage());
            } else {
                adjoint = p;
            }
        }
        Shape imageShape = new Shape(parts.get(0).imageShape());
        GradientMaskingChecks.Report report = checks.report(attack, imageShape, outcomes);
        if (adjoint != null && adjoint.adjoint() != null) {
            report = report.withAdjoint(adjoint.adjoint());
        } else if (adjoint != null) {
            List<GradientMaskingChecks.Check> all = new ArrayList<>(report.checks());
            all.add(adjoint.adjointSkipped());
            report = new GradientMaskingChecks.Report(report.subset(), all);
        }
        return report.json();
    }

    /**
     * The adjoint gradient compared against an exact mode on the subset: {@code exact}, or {@code
     * checkpointed} (exact too) where exact does not fit runtime.memory-budget; recorded as skipped
     * where neither fits.
     */
    private Part adjointPart(
            GradientMaskingChecks checks, DefendedModel adjoint, ExecutorContext ctx, Batch b) {
        ExperimentConfig config = spec.config();
        PtScoreModel scoreModel = ctx.scoreModel();
        PtClassifier clf = ctx.classifier();
        NDArray x = b.images();
        NDArray labels = b.labels();
        long[] ids = b.ids();
        List<String> refused = new ArrayList<>();
        for (String mode : List.of("exact", "checkpointed")) {
            DefendedModel exact;
            try {
                GradientPlan plan =
                        GradientPlan.forRun(
                                config.withGradientMode(mode),
                                scoreModel.manifest(),
                                clf.manifest());
                exact = spec.withPlan(plan).defendedModel(ctx);
            } catch (ConfigError e) {
                refused.add(mode + ": " + e.getMessage());
                continue;
            }
            return new Part(
                    clf.imageShape().getShape(),
                    null,
                    checks.adjointAgreement(
                            adjoint, exact, mode, x, labels, ids, config.run().seed()),
                    null);
        }
        return new Part(
                clf.imageShape().getShape(),
                null,
                null,
                new GradientMaskingChecks.Check(
                        "adjoint-vs-exact",
                        Map.<String, Object>of(
                                "skipped", "no exact gradient mode fits: " + refused),
                        null));
    }
}
