package diffpure.jobs.eval;

import diffpure.attack.Attacks;
import diffpure.config.ExperimentConfig;
import diffpure.eval.SampleOutcome;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code samples} table (DESIGN.md 8): one row per (run, sample, attack setting), with its
 * provenance. Columns {@link #NONDETERMINISTIC} differ between two runs of the same plan (timing,
 * where it ran); every other column is reproduced exactly by a retry, a resume or a replay.
 */
public final class SampleRows {
    /**
     * Bumped whenever a column changes meaning or type. 2 added the averaged-logit columns ({@code
     * clean_logit_prediction}, {@code adversarial_logit_prediction}, {@code clean_logit_correct},
     * {@code adversarial_logit_correct}), {@code error_kind}, {@code sanity_subset} and the adjoint
     * error columns ({@code adjoint_reconstruction_error}, {@code adjoint_cosine}); readers of
     * version 1 tables must do without them.
     */
    public static final int SCHEMA_VERSION = 2;

    /** The columns schema version 2 added (version 1 tables lack them). */
    public static final List<String> SCHEMA_2_COLUMNS =
            List.of(
                    "clean_logit_prediction",
                    "adversarial_logit_prediction",
                    "clean_logit_correct",
                    "adversarial_logit_correct",
                    "error_kind",
                    "sanity_subset",
                    "adjoint_reconstruction_error",
                    "adjoint_cosine");

    /** Columns that depend on when and where a row was computed, not on what. */
    public static final List<String> NONDETERMINISTIC =
            List.of("seconds", "executor", "device", "task_attempt");

    private static final List<StructField> FIELDS = new ArrayList<>();

    /** The schema; run_id and chunk are the partition columns. */
    public static final StructType SCHEMA;

    static {
        f("schema_version", DataTypes.IntegerType);
        f("run_id", DataTypes.StringType);
        f("chunk", DataTypes.IntegerType);
        f("partition", DataTypes.IntegerType);
        f("batch", DataTypes.IntegerType);
        f("sample_index", DataTypes.IntegerType);
        f("sample_id", DataTypes.LongType);
        f("label", DataTypes.IntegerType);
        f("experiment", DataTypes.StringType);
        f("dataset", DataTypes.StringType);
        f("dataset_source", DataTypes.StringType);
        f("classifier", DataTypes.StringType);
        f("classifier_sha256", DataTypes.StringType);
        f("score_model", DataTypes.StringType);
        f("score_model_sha256", DataTypes.StringType);
        f("purifier", DataTypes.StringType);
        f("t_star", DataTypes.DoubleType);
        f("steps", DataTypes.IntegerType);
        f("dt", DataTypes.DoubleType);
        f("attack", DataTypes.StringType);
        f("norm", DataTypes.StringType);
        f("eps", DataTypes.DoubleType);
        f("iterations", DataTypes.IntegerType);
        f("eot", DataTypes.IntegerType);
        f("restarts", DataTypes.IntegerType);
        f("gradient_mode", DataTypes.StringType);
        f("votes", DataTypes.IntegerType);
        f("clean_votes", DataTypes.createArrayType(DataTypes.IntegerType, false));
        f("adversarial_votes", DataTypes.createArrayType(DataTypes.IntegerType, false));
        f("clean_prediction", DataTypes.IntegerType);
        f("adversarial_prediction", DataTypes.IntegerType);
        f("clean_correct", DataTypes.IntegerType);
        f("adversarial_correct", DataTypes.IntegerType);
        f("clean_logit_prediction", DataTypes.IntegerType);
        f("adversarial_logit_prediction", DataTypes.IntegerType);
        f("clean_logit_correct", DataTypes.BooleanType);
        f("adversarial_logit_correct", DataTypes.BooleanType);
        f("during_attack_evaluations", DataTypes.LongType);
        f("during_attack_fooled", DataTypes.LongType);
        f("clean_during_evaluations", DataTypes.LongType);
        f("clean_during_fooled", DataTypes.LongType);
        f("linf", DataTypes.DoubleType);
        f("l2", DataTypes.DoubleType);
        f("perturbation", DataTypes.createArrayType(DataTypes.FloatType, false));
        f("first_success_iteration", DataTypes.IntegerType);
        f("broken_by", DataTypes.StringType);
        f("gradient_evaluations", DataTypes.LongType);
        f("forward_evaluations", DataTypes.LongType);
        f("vote_evaluations", DataTypes.LongType);
        f("seconds", DataTypes.DoubleType);
        f("executor", DataTypes.StringType);
        f("device", DataTypes.StringType);
        f("task_attempt", DataTypes.IntegerType);
        f("torch_threads", DataTypes.IntegerType);
        f("seed", DataTypes.LongType);
        f("warnings", DataTypes.createArrayType(DataTypes.StringType, false));
        f("error", DataTypes.StringType);
        f("error_kind", DataTypes.StringType);
        f("sanity_subset", DataTypes.BooleanType);
        f("adjoint_reconstruction_error", DataTypes.DoubleType);
        f("adjoint_cosine", DataTypes.DoubleType);
        f("git_sha", DataTypes.StringType);
        f("config_hash", DataTypes.StringType);
        SCHEMA = new StructType(FIELDS.toArray(new StructField[0]));
    }

    private SampleRows() {}

    private static void f(String name, DataType type) {
        FIELDS.add(DataTypes.createStructField(name, type, true));
    }

    /** Where a row was computed. */
    public record Place(String executor, String device, int attempt, int torchThreads) {}

    /**
     * The row of one sample.
     *
     * @param gradientMode the gradient mode used (attack.gradient-mode = auto resolved, see
     *     ExperimentConfig#gradientPlan); the runs table's config keeps what was configured
     */
    public static Row toRow(
            ExperimentConfig c,
            Provenance p,
            PartitionWork w,
            BatchRunner.Result r,
            int steps,
            String gradientMode,
            Place place,
            SanityTask.Result sanity) {
        SampleOutcome o = r.outcome();
        boolean inSubset = sanity.ids().contains(r.ref().id());
        List<String> warnings = new ArrayList<>(o == null ? List.of() : o.warnings());
        if (inSubset) {
            sanity.warnings().forEach(x -> warnings.add("gradient-masking check: " + x));
        }
        var a = c.attack();
        var pu = c.purify();
        Object[] v = {
            SCHEMA_VERSION,
            p.runId(),
            w.chunk(),
            w.partition(),
            r.ref().batch(),
            r.ref().index(),
            r.ref().id(),
            o != null ? o.label() : r.ref().label(),
            c.experiment(),
            c.data().format(),
            p.datasetSource(),
            p.classifierName(),
            p.classifierSha256(),
            p.scoreModelName(),
            p.scoreModelSha256(),
            pu.kind(),
            pu.tStarUsed(),
            steps,
            pu.dtUsed(),
            a.name(),
            a.norm(),
            a.eps(),
            iterations(c),
            a.eot(),
            a.restarts(),
            gradientMode,
            c.eval().votes(),
            o == null ? null : ints(o.cleanVotes()),
            o == null ? null : ints(o.adversarialVotes()),
            o == null ? null : o.cleanPrediction(),
            o == null ? null : o.adversarialPrediction(),
            o == null ? null : o.cleanCorrect(),
            o == null ? null : o.adversarialCorrect(),
            o == null ? null : o.cleanLogitPrediction(),
            o == null ? null : o.adversarialLogitPrediction(),
            o == null ? null : o.cleanLogitCorrect(),
            o == null ? null : o.adversarialLogitCorrect(),
            o == null ? null : o.duringAttackEvaluations(),
            o == null ? null : o.duringAttackFooled(),
            o == null ? null : o.cleanDuringEvaluations(),
            o == null ? null : o.cleanDuringFooled(),
            o == null ? null : o.linf(),
            o == null ? null : o.l2(),
            o == null ? null : floats(o.perturbation()),
            o == null ? null : o.firstSuccessIteration(),
            o == null ? null : o.brokenBy(),
            o == null ? null : o.gradients(),
            o == null ? null : o.forwards(),
            o == null ? null : o.voteEvaluations(),
            o == null ? null : o.seconds(),
            place.executor(),
            place.device(),
            place.attempt(),
            place.torchThreads(),
            c.run().seed(),
            warnings.toArray(new String[0]),
            r.error(),
            r.errorKind(),
            inSubset,
            o == null || Double.isNaN(o.adjointReconstructionError())
                    ? null
                    : o.adjointReconstructionError(),
            sanity.adjointCosine().get(r.ref().id()),
            p.gitSha(),
            p.configHash()
        };
        return RowFactory.create(v);
    }

    /** The attack's effective main budget (the preset's when attack.iterations is 0). */
    public static int iterations(ExperimentConfig c) {
        return Attacks.build(c.attack()).iterations();
    }

    /**
     * The protocol record of a row without error, for summaries and replays (the perturbation and
     * counts as stored).
     */
    public static SampleOutcome toOutcome(Row r) {
        return new SampleOutcome(
                r.getAs("sample_id"),
                r.<Integer>getAs("label"),
                intArray(r.getList(r.fieldIndex("clean_votes"))),
                intArray(r.getList(r.fieldIndex("adversarial_votes"))),
                intOr(r, "clean_logit_prediction", -1),
                intOr(r, "adversarial_logit_prediction", -1),
                r.<Long>getAs("during_attack_evaluations"),
                r.<Long>getAs("during_attack_fooled"),
                r.<Long>getAs("clean_during_evaluations"),
                r.<Long>getAs("clean_during_fooled"),
                r.<Double>getAs("linf"),
                r.<Double>getAs("l2"),
                floatArray(r.getList(r.fieldIndex("perturbation"))),
                r.<Integer>getAs("first_success_iteration"),
                r.getAs("broken_by"),
                r.<Long>getAs("gradient_evaluations"),
                r.<Long>getAs("forward_evaluations"),
                r.<Long>getAs("vote_evaluations"),
                r.getAs("gradient_mode"),
                r.<Double>getAs("seconds"),
                r.getList(r.fieldIndex("warnings")),
                doubleOr(r, "adjoint_reconstruction_error"));
    }

    /** A double column, or NaN when the row's schema lacks it (version 1) or it is null. */
    private static double doubleOr(Row r, String column) {
        if (!java.util.Arrays.asList(r.schema().fieldNames()).contains(column)) {
            return Double.NaN;
        }
        Double v = r.getAs(column);
        return v == null ? Double.NaN : v;
    }

    /**
     * An int column, or {@code absent} when the row's schema lacks it (version 1) or it is null.
     */
    private static int intOr(Row r, String column, int absent) {
        if (!java.util.Arrays.asList(r.schema().fieldNames()).contains(column)) {
            return absent;
        }
        Integer v = r.getAs(column);
        return v == null ? absent : v;
    }

    // Spark's row encoder takes object arrays (or Scala Seqs) for array columns, not
    // java.util.List.
    private static Integer[] ints(int[] a) {
        Integer[] b = new Integer[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }

    private static Float[] floats(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }

    private static int[] intArray(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    private static float[] floatArray(List<Float> l) {
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }
}
