package diffpure.jobs.store;

import static diffpure.jobs.store.SampleColumn.BOOLEAN;
import static diffpure.jobs.store.SampleColumn.DOUBLE;
import static diffpure.jobs.store.SampleColumn.FLOATS;
import static diffpure.jobs.store.SampleColumn.INT;
import static diffpure.jobs.store.SampleColumn.INTS;
import static diffpure.jobs.store.SampleColumn.LONG;
import static diffpure.jobs.store.SampleColumn.STRING;
import static diffpure.jobs.store.SampleColumn.STRINGS;
import static diffpure.jobs.store.SampleColumn.typed;

import diffpure.config.ExperimentConfig;
import diffpure.eval.CheckpointOutcome;
import diffpure.eval.SampleOutcome;
import diffpure.jobs.store.SampleColumn.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code samples} table (docs/result-tables.md): one row per (run, sample, attack setting),
 * with its provenance. Each column is declared once below, a {@link SampleColumn} (name, type, the
 * schema version that added it, how a row's value is computed from its {@link SampleFacts} and how
 * a reader gets it back); the schema, the writer, the version lists, the readers ({@link
 * #toOutcome}, {@link #gallery}, {@link SampleColumn#of}) and the documentation check are derived
 * from them, so adding a column touches its declaration. Columns {@link #NONDETERMINISTIC} differ
 * between two runs of the same plan (timing, where it ran); every other column is reproduced
 * exactly by a retry, a resume or a replay.
 */
public final class SamplesTable {
    /**
     * Bumped whenever a column changes meaning or type. 2 added the averaged-logit columns ({@code
     * clean_logit_prediction}, {@code adversarial_logit_prediction}, {@code clean_logit_correct},
     * {@code adversarial_logit_correct}), {@code error_kind}, {@code sanity_subset} and the adjoint
     * error columns ({@code adjoint_reconstruction_error}, {@code adjoint_cosine}); 3 added {@code
     * budget_checkpoints}; 4 the gallery's pictures ({@code gallery_shape}, {@code gallery_clean},
     * {@code gallery_purified_clean}, {@code gallery_purified_clean_prediction}, {@code
     * gallery_purified_adversarial}, {@code gallery_purified_adversarial_prediction}); 5 the chains
     * a row goes through ({@code gradient_row_steps}, {@code forward_row_steps}). Readers of older
     * tables must do without the newer columns ({@link #schemaOf}).
     */
    public static final int SCHEMA_VERSION = 5;

    /** error_kind of a row whose input could not be read: a resume keeps it. */
    public static final String DATA = "data";

    /** error_kind of a row whose computation failed on every attempt: a resume recomputes it. */
    public static final String COMPUTE = "compute";

    /** The columns in declaration order, filled by the declarations below. */
    private static final List<SampleColumn<?>> DECLARED = new ArrayList<>();

    /**
     * One element of {@code budget_checkpoints} (schema 3), a {@link CheckpointOutcome}: the
     * checkpoint b and the run's N ("iteration b of a run of N"), the K votes on the best iterate
     * so far and how many are correct, the attack's spending by then, and the fraction of EOT
     * copies that missed the goal at that iterate (null when none was evaluated).
     */
    public static final StructType CHECKPOINT =
            new StructType()
                    .add("iteration", DataTypes.IntegerType)
                    .add("of_iterations", DataTypes.LongType)
                    .add("votes", INTS.type())
                    .add("correct", DataTypes.IntegerType)
                    .add("gradient_evaluations", DataTypes.LongType)
                    .add("forward_evaluations", DataTypes.LongType)
                    .add("during_attack_evaluations", DataTypes.LongType)
                    .add("during_attack_fooled", DataTypes.LongType)
                    .add("miss", DataTypes.DoubleType);

    // The columns in table order; run_id and chunk are the partition columns. Each reads back as
    // its declared absent value where a row lacks it or holds null (older schema versions).
    public static final SampleColumn<Integer> SCHEMA_VERSION_COLUMN =
            col("schema_version", INT, f -> SCHEMA_VERSION);
    public static final SampleColumn<String> RUN_ID =
            col("run_id", STRING, f -> f.provenance().runId());
    public static final SampleColumn<Integer> CHUNK = col("chunk", INT, f -> f.position().chunk());
    public static final SampleColumn<Integer> PARTITION =
            col("partition", INT, f -> f.position().partition());
    public static final SampleColumn<Integer> BATCH = col("batch", INT, f -> f.position().batch());
    public static final SampleColumn<Integer> SAMPLE_INDEX =
            col("sample_index", INT, f -> f.position().index());
    public static final SampleColumn<Long> SAMPLE_ID =
            col("sample_id", LONG, f -> f.position().sampleId());
    public static final SampleColumn<Integer> LABEL = col("label", INT, SamplesTable::label);
    public static final SampleColumn<String> EXPERIMENT =
            col("experiment", STRING, f -> config(f).experiment());
    public static final SampleColumn<String> DATASET =
            col("dataset", STRING, f -> config(f).data().format());
    public static final SampleColumn<String> DATASET_SOURCE =
            col("dataset_source", STRING, f -> f.provenance().datasetSource());
    public static final SampleColumn<String> CLASSIFIER =
            col("classifier", STRING, f -> f.provenance().classifierName());
    public static final SampleColumn<String> CLASSIFIER_SHA256 =
            col("classifier_sha256", STRING, f -> f.provenance().classifierSha256());
    public static final SampleColumn<String> SCORE_MODEL =
            col("score_model", STRING, f -> f.provenance().scoreModelName());
    public static final SampleColumn<String> SCORE_MODEL_SHA256 =
            col("score_model_sha256", STRING, f -> f.provenance().scoreModelSha256());
    public static final SampleColumn<String> PURIFIER =
            col("purifier", STRING, f -> config(f).purify().kind());
    public static final SampleColumn<Double> T_STAR =
            col("t_star", DOUBLE, f -> config(f).purify().tStarUsed());
    public static final SampleColumn<Integer> STEPS = col("steps", INT, f -> f.setting().steps());
    // The steps a gradient row and an attack forward row went through (schema 5; null before:
    // every row went through steps then); votes go through steps (ResultTables.stepRowCost).
    public static final SampleColumn<Integer> GRADIENT_ROW_STEPS =
            declare(typed("gradient_row_steps", INT, 5, f -> f.setting().cost().gradient(), null));
    public static final SampleColumn<Integer> FORWARD_ROW_STEPS =
            declare(typed("forward_row_steps", INT, 5, f -> f.setting().cost().forward(), null));
    public static final SampleColumn<Double> DT =
            col("dt", DOUBLE, f -> config(f).purify().dtUsed());
    public static final SampleColumn<String> ATTACK =
            col("attack", STRING, f -> config(f).attack().name());
    public static final SampleColumn<String> NORM =
            col("norm", STRING, f -> f.provenance().normLabel(config(f).attack().norm()));
    public static final SampleColumn<Double> EPS =
            col("eps", DOUBLE, f -> config(f).attack().eps());
    public static final SampleColumn<Integer> ITERATIONS =
            col("iterations", INT, f -> f.setting().iterations());
    public static final SampleColumn<Integer> EOT = col("eot", INT, f -> config(f).attack().eot());
    public static final SampleColumn<Integer> RESTARTS =
            col("restarts", INT, f -> config(f).attack().restarts());
    public static final SampleColumn<String> GRADIENT_MODE =
            col("gradient_mode", STRING, f -> f.setting().gradientMode());
    public static final SampleColumn<Integer> VOTES =
            col("votes", INT, f -> config(f).eval().votes());
    public static final SampleColumn<int[]> CLEAN_VOTES =
            out("clean_votes", INTS, 1, o -> o.votes().clean(), new int[0]);
    public static final SampleColumn<int[]> ADVERSARIAL_VOTES =
            out("adversarial_votes", INTS, 1, o -> o.votes().adversarial(), new int[0]);
    public static final SampleColumn<Integer> CLEAN_PREDICTION =
            out("clean_prediction", INT, 1, o -> o.votes().cleanPrediction(), null);
    public static final SampleColumn<Integer> ADVERSARIAL_PREDICTION =
            out("adversarial_prediction", INT, 1, o -> o.votes().adversarialPrediction(), null);
    public static final SampleColumn<Integer> CLEAN_CORRECT =
            out("clean_correct", INT, 1, SampleOutcome::cleanCorrect, null);
    public static final SampleColumn<Integer> ADVERSARIAL_CORRECT =
            out("adversarial_correct", INT, 1, SampleOutcome::adversarialCorrect, null);
    public static final SampleColumn<Integer> CLEAN_LOGIT_PREDICTION =
            out("clean_logit_prediction", INT, 2, o -> o.votes().cleanLogitPrediction(), -1);
    public static final SampleColumn<Integer> ADVERSARIAL_LOGIT_PREDICTION =
            out(
                    "adversarial_logit_prediction",
                    INT,
                    2,
                    o -> o.votes().adversarialLogitPrediction(),
                    -1);
    public static final SampleColumn<Boolean> CLEAN_LOGIT_CORRECT =
            out("clean_logit_correct", BOOLEAN, 2, SampleOutcome::cleanLogitCorrect, null);
    public static final SampleColumn<Boolean> ADVERSARIAL_LOGIT_CORRECT =
            out(
                    "adversarial_logit_correct",
                    BOOLEAN,
                    2,
                    SampleOutcome::adversarialLogitCorrect,
                    null);
    public static final SampleColumn<Long> DURING_ATTACK_EVALUATIONS =
            during("during_attack_evaluations", d -> d.evaluations());
    public static final SampleColumn<Long> DURING_ATTACK_FOOLED =
            during("during_attack_fooled", d -> d.fooled());
    public static final SampleColumn<Long> CLEAN_DURING_EVALUATIONS =
            during("clean_during_evaluations", d -> d.cleanEvaluations());
    public static final SampleColumn<Long> CLEAN_DURING_FOOLED =
            during("clean_during_fooled", d -> d.cleanFooled());
    public static final SampleColumn<Double> LINF =
            out("linf", DOUBLE, 1, o -> o.attack().perturbation().linf(), Double.NaN);
    public static final SampleColumn<Double> L2 =
            out("l2", DOUBLE, 1, o -> o.attack().perturbation().l2(), Double.NaN);
    public static final SampleColumn<float[]> PERTURBATION =
            out("perturbation", FLOATS, 1, o -> o.attack().perturbation().delta(), new float[0]);
    public static final SampleColumn<Integer> FIRST_SUCCESS_ITERATION =
            out("first_success_iteration", INT, 1, o -> o.attack().firstSuccessIteration(), -1);
    public static final SampleColumn<String> BROKEN_BY =
            out("broken_by", STRING, 1, o -> o.attack().brokenBy(), null);
    public static final SampleColumn<Long> GRADIENT_EVALUATIONS =
            out("gradient_evaluations", LONG, 1, o -> o.cost().gradients(), 0L);
    public static final SampleColumn<Long> FORWARD_EVALUATIONS =
            out("forward_evaluations", LONG, 1, o -> o.cost().forwards(), 0L);
    public static final SampleColumn<Long> VOTE_EVALUATIONS =
            out("vote_evaluations", LONG, 1, o -> o.cost().voteEvaluations(), 0L);
    public static final SampleColumn<Double> SECONDS =
            out("seconds", DOUBLE, 1, o -> o.cost().seconds(), 0.0);
    public static final SampleColumn<String> EXECUTOR =
            col("executor", STRING, f -> f.place().executor());
    public static final SampleColumn<String> DEVICE =
            col("device", STRING, f -> f.place().device());
    public static final SampleColumn<Integer> TASK_ATTEMPT =
            col("task_attempt", INT, f -> f.place().attempt());
    public static final SampleColumn<Integer> TORCH_THREADS =
            col("torch_threads", INT, f -> f.place().torchThreads());
    public static final SampleColumn<Long> SEED = col("seed", LONG, f -> config(f).run().seed());
    public static final SampleColumn<List<String>> WARNINGS =
            declare(typed("warnings", STRINGS, 1, f -> f.checks().warnings(), List.of()));
    public static final SampleColumn<String> ERROR = col("error", STRING, f -> f.result().error());
    public static final SampleColumn<String> ERROR_KIND =
            declare(typed("error_kind", STRING, 2, f -> f.result().errorKind(), null));
    public static final SampleColumn<Boolean> SANITY_SUBSET =
            declare(typed("sanity_subset", BOOLEAN, 2, f -> f.checks().inSubset(), null));
    public static final SampleColumn<Double> ADJOINT_RECONSTRUCTION_ERROR =
            out(
                    "adjoint_reconstruction_error",
                    DOUBLE,
                    2,
                    o -> nanAsNull(o.diagnostics().adjointReconstructionError()),
                    Double.NaN);
    public static final SampleColumn<Double> ADJOINT_COSINE =
            declare(typed("adjoint_cosine", DOUBLE, 2, f -> f.checks().adjointCosine(), null));
    public static final SampleColumn<List<CheckpointOutcome>> BUDGET_CHECKPOINTS =
            declare(
                    new SampleColumn<>(
                            "budget_checkpoints",
                            DataTypes.createArrayType(CHECKPOINT, false),
                            3,
                            f -> outcomeOf(f, BudgetCheckpoints::rows),
                            (r, i) -> BudgetCheckpoints.read(r.getList(i)),
                            List.of()));
    public static final SampleColumn<int[]> GALLERY_SHAPE =
            gallery("gallery_shape", INTS, SampleFacts.Gallery::shape);
    public static final SampleColumn<float[]> GALLERY_CLEAN =
            gallery("gallery_clean", FLOATS, SampleFacts.Gallery::clean);
    public static final SampleColumn<float[]> GALLERY_PURIFIED_CLEAN =
            gallery("gallery_purified_clean", FLOATS, SampleFacts.Gallery::purifiedClean);
    public static final SampleColumn<Integer> GALLERY_PURIFIED_CLEAN_PREDICTION =
            gallery(
                    "gallery_purified_clean_prediction",
                    INT,
                    SampleFacts.Gallery::purifiedCleanPrediction);
    public static final SampleColumn<float[]> GALLERY_PURIFIED_ADVERSARIAL =
            gallery(
                    "gallery_purified_adversarial",
                    FLOATS,
                    SampleFacts.Gallery::purifiedAdversarial);
    public static final SampleColumn<Integer> GALLERY_PURIFIED_ADVERSARIAL_PREDICTION =
            gallery(
                    "gallery_purified_adversarial_prediction",
                    INT,
                    SampleFacts.Gallery::purifiedAdversarialPrediction);
    public static final SampleColumn<String> GIT_SHA =
            col("git_sha", STRING, f -> f.provenance().gitSha());
    public static final SampleColumn<String> CONFIG_HASH =
            col("config_hash", STRING, f -> f.provenance().configHash());

    /** The columns in table order. */
    public static final List<SampleColumn<?>> COLUMNS = List.copyOf(DECLARED);

    /** The schema; run_id and chunk are the partition columns. */
    public static final StructType SCHEMA = schemaOf(SCHEMA_VERSION);

    /** Columns that depend on when and where a row was computed, not on what. */
    public static final List<String> NONDETERMINISTIC =
            names(SECONDS, EXECUTOR, DEVICE, TASK_ATTEMPT);

    /** The schema without the partition columns: a chunk directory's files. */
    public static final StructType CHUNK_SCHEMA = without(SCHEMA, RUN_ID.name(), CHUNK.name());

    private SamplesTable() {}

    /** The schema of tables written by an older version (the columns it had). */
    public static StructType schemaOf(int version) {
        if (version < 1 || version > SCHEMA_VERSION) {
            throw new IllegalArgumentException(
                    "samples schema version must be 1.." + SCHEMA_VERSION + ", found " + version);
        }
        StructType s = new StructType();
        for (SampleColumn<?> c : COLUMNS) {
            if (c.since() <= version) {
                s = s.add(c.name(), c.type(), true);
            }
        }
        return s;
    }

    /** The row of one sample. */
    public static Row row(SampleFacts f) {
        return RowFactory.create(COLUMNS.stream().map(c -> c.valueOf(f)).toArray());
    }

    /** The names of some columns, in the order given. */
    public static List<String> names(SampleColumn<?>... columns) {
        return Arrays.stream(columns).map(SampleColumn::name).toList();
    }

    /** A schema without some of its columns. */
    public static StructType without(StructType schema, String... columns) {
        List<String> drop = Arrays.asList(columns);
        StructType s = new StructType();
        for (StructField f : schema.fields()) {
            if (!drop.contains(f.name())) {
                s = s.add(f);
            }
        }
        return s;
    }

    /**
     * The protocol record of a row without error, for summaries, stopping rules and replays (the
     * perturbation and counts as stored). Every column reads as its declared absent value where the
     * row lacks it: a row of an older schema version, or a projection (the summary reads no
     * perturbation).
     */
    public static SampleOutcome toOutcome(Row r) {
        return new SampleOutcome(
                SAMPLE_ID.of(r),
                LABEL.of(r),
                new SampleOutcome.VoteRecord(
                        CLEAN_VOTES.of(r),
                        ADVERSARIAL_VOTES.of(r),
                        CLEAN_LOGIT_PREDICTION.of(r),
                        ADVERSARIAL_LOGIT_PREDICTION.of(r)),
                new SampleOutcome.AttackRecord(
                        new SampleOutcome.Perturbation(PERTURBATION.of(r), LINF.of(r), L2.of(r)),
                        new SampleOutcome.DuringAttack(
                                DURING_ATTACK_EVALUATIONS.of(r),
                                DURING_ATTACK_FOOLED.of(r),
                                CLEAN_DURING_EVALUATIONS.of(r),
                                CLEAN_DURING_FOOLED.of(r)),
                        FIRST_SUCCESS_ITERATION.of(r),
                        BROKEN_BY.of(r),
                        BUDGET_CHECKPOINTS.of(r)),
                new SampleOutcome.Cost(
                        GRADIENT_EVALUATIONS.of(r),
                        FORWARD_EVALUATIONS.of(r),
                        VOTE_EVALUATIONS.of(r),
                        SECONDS.of(r)),
                new SampleOutcome.Diagnostics(
                        GRADIENT_MODE.of(r), WARNINGS.of(r), ADJOINT_RECONSTRUCTION_ERROR.of(r)));
    }

    /** A gallery sample's pictures read back, null for a row outside report.gallery-samples. */
    public static SampleFacts.Gallery gallery(Row r) {
        int[] shape = GALLERY_SHAPE.of(r);
        return shape == null
                ? null
                : new SampleFacts.Gallery(
                        shape,
                        GALLERY_CLEAN.of(r),
                        GALLERY_PURIFIED_CLEAN.of(r),
                        GALLERY_PURIFIED_CLEAN_PREDICTION.of(r),
                        GALLERY_PURIFIED_ADVERSARIAL.of(r),
                        GALLERY_PURIFIED_ADVERSARIAL_PREDICTION.of(r));
    }

    private static <T> SampleColumn<T> declare(SampleColumn<T> c) {
        DECLARED.add(c);
        return c;
    }

    /** A column of schema version 1 read from the row's facts (null where a row lacks it). */
    private static <T> SampleColumn<T> col(String name, Kind<T> k, Function<SampleFacts, T> f) {
        return declare(typed(name, k, 1, f, null));
    }

    /** A gallery column (schema 4): null for a sample outside report.gallery-samples. */
    private static <T> SampleColumn<T> gallery(
            String name, Kind<T> k, Function<SampleFacts.Gallery, T> value) {
        return declare(
                typed(
                        name,
                        k,
                        4,
                        f -> f.gallery() == null ? null : value.apply(f.gallery()),
                        null));
    }

    /** A column read from the protocol outcome: null on an error row. */
    private static <T> SampleColumn<T> out(
            String name, Kind<T> k, int since, Function<SampleOutcome, T> value, T absent) {
        return declare(typed(name, k, since, f -> outcomeOf(f, value), absent));
    }

    /**
     * A during-attack count: stored null for {@link SampleOutcome#NOT_RECORDED} (an attack judged
     * on a surrogate made no defence evaluation to count), read back as it where null.
     */
    private static SampleColumn<Long> during(
            String name, ToLongFunction<SampleOutcome.DuringAttack> count) {
        return out(
                name,
                LONG,
                1,
                o -> BudgetCheckpoints.recorded(count.applyAsLong(o.attack().duringAttack())),
                SampleOutcome.NOT_RECORDED);
    }

    private static <T> T outcomeOf(SampleFacts f, Function<SampleOutcome, T> value) {
        return f.result().outcome() == null ? null : value.apply(f.result().outcome());
    }

    private static ExperimentConfig config(SampleFacts f) {
        return f.setting().config();
    }

    private static Integer label(SampleFacts f) {
        SampleOutcome o = f.result().outcome();
        return o != null ? o.label() : f.position().label();
    }

    private static Double nanAsNull(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
