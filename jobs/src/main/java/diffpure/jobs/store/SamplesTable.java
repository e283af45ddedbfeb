package diffpure.jobs.store;

import diffpure.attack.Attacks;
import diffpure.config.ExperimentConfig;
import diffpure.eval.CheckpointOutcome;
import diffpure.eval.SampleOutcome;
import diffpure.eval.Votes;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code samples} table (docs/result-tables.md): one row per (run, sample, attack setting),
 * with its provenance. Each column is declared once in {@link #COLUMNS} (name, type, the schema
 * version that added it, how a row's value is read from its {@link SampleFacts}); the schema, the
 * writer and the version lists are derived from them. Columns {@link #NONDETERMINISTIC} differ
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
     * gallery_purified_adversarial}, {@code gallery_purified_adversarial_prediction}). Readers of
     * older tables must do without the newer columns ({@link #schemaOf}).
     */
    public static final int SCHEMA_VERSION = 4;

    /** error_kind of a row whose input could not be read: a resume keeps it. */
    public static final String DATA = "data";

    /** error_kind of a row whose computation failed on every attempt: a resume recomputes it. */
    public static final String COMPUTE = "compute";

    /**
     * One column of the table.
     *
     * @param name column name
     * @param type Spark type (every column is nullable)
     * @param since the schema version that added it
     * @param value the row's value (Spark's types: boxed numbers, object arrays for arrays)
     */
    public record Column(
            String name, DataType type, int since, Function<SampleFacts, Object> value) {}

    private static final DataType INT = DataTypes.IntegerType;
    private static final DataType LONG = DataTypes.LongType;
    private static final DataType DOUBLE = DataTypes.DoubleType;
    private static final DataType STRING = DataTypes.StringType;
    private static final DataType BOOLEAN = DataTypes.BooleanType;
    private static final DataType INTS = DataTypes.createArrayType(INT, false);
    private static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, false);

    /**
     * One element of {@code budget_checkpoints} (schema 3), a {@link CheckpointOutcome}: the
     * checkpoint b and the run's N ("iteration b of a run of N"), the K votes on the best iterate
     * so far and how many are correct, the attack's spending by then, and the fraction of EOT
     * copies that missed the goal at that iterate (null when none was evaluated).
     */
    public static final StructType CHECKPOINT =
            new StructType()
                    .add("iteration", INT)
                    .add("of_iterations", LONG)
                    .add("votes", INTS)
                    .add("correct", INT)
                    .add("gradient_evaluations", LONG)
                    .add("forward_evaluations", LONG)
                    .add("during_attack_evaluations", LONG)
                    .add("during_attack_fooled", LONG)
                    .add("miss", DOUBLE);

    /** The columns in table order; run_id and chunk are the partition columns. */
    public static final List<Column> COLUMNS =
            List.of(
                    col("schema_version", INT, f -> SCHEMA_VERSION),
                    col("run_id", STRING, f -> f.provenance().runId()),
                    col("chunk", INT, f -> f.position().chunk()),
                    col("partition", INT, f -> f.position().partition()),
                    col("batch", INT, f -> f.position().batch()),
                    col("sample_index", INT, f -> f.position().index()),
                    col("sample_id", LONG, f -> f.position().sampleId()),
                    col("label", INT, SamplesTable::label),
                    col("experiment", STRING, f -> config(f).experiment()),
                    col("dataset", STRING, f -> config(f).data().format()),
                    col("dataset_source", STRING, f -> f.provenance().datasetSource()),
                    col("classifier", STRING, f -> f.provenance().classifierName()),
                    col("classifier_sha256", STRING, f -> f.provenance().classifierSha256()),
                    col("score_model", STRING, f -> f.provenance().scoreModelName()),
                    col("score_model_sha256", STRING, f -> f.provenance().scoreModelSha256()),
                    col("purifier", STRING, f -> config(f).purify().kind()),
                    col("t_star", DOUBLE, f -> config(f).purify().tStarUsed()),
                    col("steps", INT, f -> f.setting().steps()),
                    col("dt", DOUBLE, f -> config(f).purify().dtUsed()),
                    col("attack", STRING, f -> config(f).attack().name()),
                    col("norm", STRING, f -> f.provenance().normLabel(config(f).attack().norm())),
                    col("eps", DOUBLE, f -> config(f).attack().eps()),
                    col("iterations", INT, f -> f.setting().iterations()),
                    col("eot", INT, f -> config(f).attack().eot()),
                    col("restarts", INT, f -> config(f).attack().restarts()),
                    col("gradient_mode", STRING, f -> f.setting().gradientMode()),
                    col("votes", INT, f -> config(f).eval().votes()),
                    out("clean_votes", INTS, 1, o -> boxed(o.cleanVotes())),
                    out("adversarial_votes", INTS, 1, o -> boxed(o.adversarialVotes())),
                    out("clean_prediction", INT, 1, SampleOutcome::cleanPrediction),
                    out("adversarial_prediction", INT, 1, SampleOutcome::adversarialPrediction),
                    out("clean_correct", INT, 1, SampleOutcome::cleanCorrect),
                    out("adversarial_correct", INT, 1, SampleOutcome::adversarialCorrect),
                    out("clean_logit_prediction", INT, 2, SampleOutcome::cleanLogitPrediction),
                    out(
                            "adversarial_logit_prediction",
                            INT,
                            2,
                            SampleOutcome::adversarialLogitPrediction),
                    out("clean_logit_correct", BOOLEAN, 2, SampleOutcome::cleanLogitCorrect),
                    out(
                            "adversarial_logit_correct",
                            BOOLEAN,
                            2,
                            SampleOutcome::adversarialLogitCorrect),
                    out(
                            "during_attack_evaluations",
                            LONG,
                            1,
                            o -> recorded(o.duringAttackEvaluations())),
                    out("during_attack_fooled", LONG, 1, o -> recorded(o.duringAttackFooled())),
                    out(
                            "clean_during_evaluations",
                            LONG,
                            1,
                            o -> recorded(o.cleanDuringEvaluations())),
                    out("clean_during_fooled", LONG, 1, o -> recorded(o.cleanDuringFooled())),
                    out("linf", DOUBLE, 1, SampleOutcome::linf),
                    out("l2", DOUBLE, 1, SampleOutcome::l2),
                    out(
                            "perturbation",
                            DataTypes.createArrayType(DataTypes.FloatType, false),
                            1,
                            o -> boxed(o.perturbation())),
                    out("first_success_iteration", INT, 1, SampleOutcome::firstSuccessIteration),
                    out("broken_by", STRING, 1, SampleOutcome::brokenBy),
                    out("gradient_evaluations", LONG, 1, SampleOutcome::gradients),
                    out("forward_evaluations", LONG, 1, SampleOutcome::forwards),
                    out("vote_evaluations", LONG, 1, SampleOutcome::voteEvaluations),
                    out("seconds", DOUBLE, 1, SampleOutcome::seconds),
                    col("executor", STRING, f -> f.place().executor()),
                    col("device", STRING, f -> f.place().device()),
                    col("task_attempt", INT, f -> f.place().attempt()),
                    col("torch_threads", INT, f -> f.place().torchThreads()),
                    col("seed", LONG, f -> config(f).run().seed()),
                    col(
                            "warnings",
                            DataTypes.createArrayType(STRING, false),
                            f -> f.checks().warnings().toArray(new String[0])),
                    col("error", STRING, f -> f.result().error()),
                    new Column("error_kind", STRING, 2, f -> f.result().errorKind()),
                    new Column("sanity_subset", BOOLEAN, 2, f -> f.checks().inSubset()),
                    out(
                            "adjoint_reconstruction_error",
                            DOUBLE,
                            2,
                            o ->
                                    Double.isNaN(o.adjointReconstructionError())
                                            ? null
                                            : o.adjointReconstructionError()),
                    new Column("adjoint_cosine", DOUBLE, 2, f -> f.checks().adjointCosine()),
                    out(
                            "budget_checkpoints",
                            DataTypes.createArrayType(CHECKPOINT, false),
                            3,
                            SamplesTable::checkpointRows),
                    gallery("gallery_shape", INTS, g -> boxed(g.shape())),
                    gallery("gallery_clean", FLOATS, g -> boxed(g.clean())),
                    gallery("gallery_purified_clean", FLOATS, g -> boxed(g.purifiedClean())),
                    gallery(
                            "gallery_purified_clean_prediction",
                            INT,
                            SampleFacts.Gallery::purifiedCleanPrediction),
                    gallery(
                            "gallery_purified_adversarial",
                            FLOATS,
                            g -> boxed(g.purifiedAdversarial())),
                    gallery(
                            "gallery_purified_adversarial_prediction",
                            INT,
                            SampleFacts.Gallery::purifiedAdversarialPrediction),
                    col("git_sha", STRING, f -> f.provenance().gitSha()),
                    col("config_hash", STRING, f -> f.provenance().configHash()));

    /** The schema; run_id and chunk are the partition columns. */
    public static final StructType SCHEMA =
            new StructType(
                    COLUMNS.stream()
                            .map(c -> DataTypes.createStructField(c.name(), c.type(), true))
                            .toArray(StructField[]::new));

    /** Columns that depend on when and where a row was computed, not on what. */
    public static final List<String> NONDETERMINISTIC =
            List.of("seconds", "executor", "device", "task_attempt");

    /** The schema without the partition columns: a chunk directory's files. */
    public static final StructType CHUNK_SCHEMA = without(SCHEMA, "run_id", "chunk");

    private SamplesTable() {}

    /** The schema of tables written by an older version (the columns it had). */
    public static StructType schemaOf(int version) {
        if (version < 1 || version > SCHEMA_VERSION) {
            throw new IllegalArgumentException(
                    "samples schema version must be 1.." + SCHEMA_VERSION + ", found " + version);
        }
        StructType s = new StructType();
        for (Column c : COLUMNS) {
            if (c.since() <= version) {
                s = s.add(c.name(), c.type(), true);
            }
        }
        return s;
    }

    /** The row of one sample. */
    public static Row row(SampleFacts f) {
        return RowFactory.create(COLUMNS.stream().map(c -> c.value().apply(f)).toArray());
    }

    /** The attack's effective main budget (the preset's when attack.iterations is 0). */
    public static int iterations(ExperimentConfig c) {
        return Attacks.build(c.attack()).iterations();
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
                during(r, "during_attack_evaluations"),
                during(r, "during_attack_fooled"),
                during(r, "clean_during_evaluations"),
                during(r, "clean_during_fooled"),
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
                doubleOr(r, "adjoint_reconstruction_error"),
                checkpoints(r));
    }

    /**
     * The budget checkpoints of a row, in order; empty when the row's schema lacks the column
     * (versions 1 and 2) or none were recorded.
     */
    public static List<CheckpointOutcome> checkpoints(Row r) {
        if (!Arrays.asList(r.schema().fieldNames()).contains("budget_checkpoints")
                || r.isNullAt(r.fieldIndex("budget_checkpoints"))) {
            return List.of();
        }
        List<Row> rows = r.getList(r.fieldIndex("budget_checkpoints"));
        return rows.stream()
                .map(
                        c ->
                                new CheckpointOutcome(
                                        c.<Integer>getAs("iteration"),
                                        c.<Long>getAs("of_iterations"),
                                        intArray(c.getList(c.fieldIndex("votes"))),
                                        c.<Long>getAs("gradient_evaluations"),
                                        c.<Long>getAs("forward_evaluations"),
                                        during(c, "during_attack_evaluations"),
                                        during(c, "during_attack_fooled"),
                                        c.isNullAt(c.fieldIndex("miss"))
                                                ? Double.NaN
                                                : c.<Double>getAs("miss")))
                .toList();
    }

    private static Row[] checkpointRows(SampleOutcome o) {
        return o.checkpoints().stream()
                .map(
                        c ->
                                RowFactory.create(
                                        c.iteration(),
                                        c.ofIterations(),
                                        boxed(c.votes()),
                                        Votes.correct(c.votes(), o.label()),
                                        c.gradients(),
                                        c.forwards(),
                                        recorded(c.evaluations()),
                                        recorded(c.fooled()),
                                        Double.isNaN(c.miss()) ? null : c.miss()))
                .toArray(Row[]::new);
    }

    /** A column of schema version 1 read from the row's facts. */
    private static Column col(String name, DataType type, Function<SampleFacts, Object> value) {
        return new Column(name, type, 1, value);
    }

    /** A gallery column (schema 4): null for a sample outside report.gallery-samples. */
    private static Column gallery(
            String name, DataType type, Function<SampleFacts.Gallery, Object> value) {
        return new Column(
                name, type, 4, f -> f.gallery() == null ? null : value.apply(f.gallery()));
    }

    /** A column read from the protocol outcome: null on an error row. */
    private static Column out(
            String name, DataType type, int since, Function<SampleOutcome, Object> value) {
        return new Column(
                name,
                type,
                since,
                f -> f.result().outcome() == null ? null : value.apply(f.result().outcome()));
    }

    private static ExperimentConfig config(SampleFacts f) {
        return f.setting().config();
    }

    private static Object label(SampleFacts f) {
        SampleOutcome o = f.result().outcome();
        return o != null ? o.label() : f.position().label();
    }

    /**
     * A during-attack count as stored: null for {@link SampleOutcome#NOT_RECORDED} (an attack
     * judged on a surrogate made no defence evaluation to count).
     */
    private static Long recorded(long count) {
        return count == SampleOutcome.NOT_RECORDED ? null : count;
    }

    /** A during-attack count column read back: {@link SampleOutcome#NOT_RECORDED} where null. */
    public static long during(Row r, String column) {
        Long v = r.getAs(column);
        return v == null ? SampleOutcome.NOT_RECORDED : v;
    }

    /** A double column, or NaN when the row's schema lacks it (version 1) or it is null. */
    private static double doubleOr(Row r, String column) {
        if (!Arrays.asList(r.schema().fieldNames()).contains(column)) {
            return Double.NaN;
        }
        Double v = r.getAs(column);
        return v == null ? Double.NaN : v;
    }

    /**
     * An int column, or {@code absent} when the row's schema lacks it (version 1) or it is null.
     */
    static int intOr(Row r, String column, int absent) {
        if (!Arrays.asList(r.schema().fieldNames()).contains(column)) {
            return absent;
        }
        Integer v = r.getAs(column);
        return v == null ? absent : v;
    }

    // Spark's row encoder takes object arrays (or Scala Seqs) for array columns, not
    // java.util.List.
    private static Integer[] boxed(int[] a) {
        return Arrays.stream(a).boxed().toArray(Integer[]::new);
    }

    private static Float[] boxed(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }

    static int[] intArray(List<Integer> l) {
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
