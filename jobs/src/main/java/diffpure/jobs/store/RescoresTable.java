package diffpure.jobs.store;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code rescores} table ({@link TablePaths#rescores}, partitioned by rescore_id and chunk):
 * one row per (rescore, sample), linked to its source row by (source_run_id, sample_id and the
 * source setting's columns), with the rescore's own purifier, classifier and K in the {@code
 * rescore_*} columns. Rescored rows never go into {@code samples}. A strongest-evidence pass
 * ({@code rescore_kind} {@value #STRONGEST}) writes here too: one row per sample, each linked to
 * the run whose image was chosen, with what chose it in the {@code selected_*} columns.
 */
public final class RescoresTable {
    /**
     * Bumped whenever a column changes meaning or type. 2 added the strongest-evidence columns
     * ({@code rescore_kind} to {@code computed}); version 1 rows read them as NULL (a rescore).
     */
    public static final int SCHEMA_VERSION = 2;

    /** rescore_kind of a rescore of one run. */
    public static final String RESCORE = "rescore";

    /** rescore_kind of a strongest-evidence pass (fresh votes of each sample's chosen image). */
    public static final String STRONGEST = "strongest";

    /** The schema; rescore_id and chunk are the partition columns. */
    public static final StructType SCHEMA;

    static {
        List<StructField> f = new ArrayList<>();
        add(f, "schema_version", DataTypes.IntegerType);
        add(f, "rescore_id", DataTypes.StringType);
        add(f, "chunk", DataTypes.IntegerType);
        add(f, "source_run_id", DataTypes.StringType);
        add(f, "source_config_hash", DataTypes.StringType);
        add(f, "sample_id", DataTypes.LongType);
        add(f, "label", DataTypes.IntegerType);
        add(f, "dataset", DataTypes.StringType);
        add(f, "attack", DataTypes.StringType);
        add(f, "norm", DataTypes.StringType);
        add(f, "eps", DataTypes.DoubleType);
        add(f, "purifier", DataTypes.StringType);
        add(f, "t_star", DataTypes.DoubleType);
        add(f, "steps", DataTypes.IntegerType);
        add(f, "classifier", DataTypes.StringType);
        add(f, "score_model", DataTypes.StringType);
        add(f, "votes", DataTypes.IntegerType);
        add(f, "rescore_purifier", DataTypes.StringType);
        add(f, "rescore_t_star", DataTypes.DoubleType);
        add(f, "rescore_steps", DataTypes.IntegerType);
        add(f, "rescore_classifier", DataTypes.StringType);
        add(f, "rescore_classifier_sha256", DataTypes.StringType);
        add(f, "rescore_score_model", DataTypes.StringType);
        add(f, "rescore_votes", DataTypes.IntegerType);
        add(f, "clean_votes", DataTypes.createArrayType(DataTypes.IntegerType, false));
        add(f, "adversarial_votes", DataTypes.createArrayType(DataTypes.IntegerType, false));
        add(f, "clean_correct", DataTypes.IntegerType);
        add(f, "adversarial_correct", DataTypes.IntegerType);
        add(f, "clean_logit_prediction", DataTypes.IntegerType);
        add(f, "adversarial_logit_prediction", DataTypes.IntegerType);
        add(f, "clean_logit_correct", DataTypes.BooleanType);
        add(f, "adversarial_logit_correct", DataTypes.BooleanType);
        add(f, "vote_evaluations", DataTypes.LongType);
        add(f, "seconds", DataTypes.DoubleType);
        add(f, "executor", DataTypes.StringType);
        add(f, "device", DataTypes.StringType);
        add(f, "torch_threads", DataTypes.IntegerType);
        add(f, "seed", DataTypes.LongType);
        add(f, "error", DataTypes.StringType);
        add(f, "git_sha", DataTypes.StringType);
        add(f, "config_hash", DataTypes.StringType);
        // Schema 2: the strongest-evidence pass (NULL on version 1 rows).
        add(f, "rescore_kind", DataTypes.StringType);
        add(f, "selected_by", DataTypes.StringType);
        add(f, "selected_correct", DataTypes.IntegerType);
        add(f, "selected_votes", DataTypes.IntegerType);
        add(f, "candidates", DataTypes.IntegerType);
        add(f, "excluded_runs", DataTypes.createArrayType(DataTypes.StringType, false));
        add(f, "computed", DataTypes.TimestampType);
        SCHEMA = new StructType(f.toArray(new StructField[0]));
    }

    private RescoresTable() {}

    private static void add(
            List<StructField> f, String name, org.apache.spark.sql.types.DataType t) {
        f.add(DataTypes.createStructField(name, t, true));
    }
}
