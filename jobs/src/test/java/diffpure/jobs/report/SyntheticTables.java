package diffpure.jobs.report;

import diffpure.jobs.store.RunsTable;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TablePaths;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

/**
 * Samples and runs tables with the evaluation job's schema (version 1) and seeded outcomes, so the
 * report tests can plant drops and compare against SQL without running attacks.
 */
final class SyntheticTables {
    private SyntheticTables() {}

    static SparkSession session(String name) {
        return SparkSession.builder()
                .master("local[2]")
                .appName(name)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }

    /** One synthetic row as a mutable map of the samples columns. */
    static Map<String, Object> row(String runId, long sampleId, int votes, Random rnd) {
        Map<String, Object> m = new HashMap<>();
        int label = (int) (sampleId % 10);
        int cc = rnd.nextInt(votes + 1);
        int ac = rnd.nextInt(votes + 1);
        m.put("schema_version", 1);
        m.put("run_id", runId);
        m.put("chunk", 0);
        m.put("partition", 0);
        m.put("batch", 0);
        m.put("sample_index", (int) sampleId);
        m.put("sample_id", sampleId);
        m.put("label", label);
        m.put("experiment", "synthetic");
        m.put("dataset", "idx");
        m.put("dataset_source", "synthetic");
        m.put("classifier", "demo-cnn");
        m.put("classifier_sha256", "c".repeat(64));
        m.put("score_model", "demo-unet");
        m.put("score_model_sha256", "e".repeat(64));
        m.put("purifier", "vp-sde");
        m.put("t_star", 0.02);
        m.put("steps", 20);
        m.put("dt", 0.001);
        m.put("attack", "pgd-eot");
        m.put("norm", "Linf");
        m.put("eps", 8 / 255.0);
        m.put("iterations", 10);
        m.put("eot", 4);
        m.put("restarts", 1);
        m.put("gradient_mode", "exact");
        m.put("votes", votes);
        setVotes(m, label, votes, cc, ac, rnd);
        long evals = 40;
        m.put("during_attack_evaluations", evals);
        m.put("during_attack_fooled", (long) (rnd.nextInt(3) == 0 ? rnd.nextInt(5) + 1 : 0));
        m.put("clean_during_evaluations", evals);
        m.put("clean_during_fooled", (long) (rnd.nextInt(4) == 0 ? 1 : 0));
        double linf = 8 / 255.0 * rnd.nextDouble();
        m.put("linf", linf);
        m.put("l2", linf * 10);
        m.put("perturbation", new Float[] {(float) linf, (float) -linf});
        m.put("first_success_iteration", -1);
        m.put("broken_by", null);
        m.put("gradient_evaluations", 40L + rnd.nextInt(3));
        m.put("forward_evaluations", 0L);
        m.put("vote_evaluations", 2L * votes + evals);
        m.put("seconds", 0.5 + rnd.nextDouble());
        m.put("executor", "driver");
        m.put("device", "cpu()");
        m.put("task_attempt", 0);
        m.put("torch_threads", 1);
        m.put("seed", 0L);
        m.put(
                "warnings",
                rnd.nextInt(5) == 0
                        ? new String[] {
                            "all-zero input gradient in "
                                    + (1 + rnd.nextInt(4))
                                    + " of 40 gradient"
                                    + " evaluations (pgd-eot)"
                        }
                        : new String[0]);
        m.put("error", null);
        m.put("git_sha", "0".repeat(40));
        m.put("config_hash", "a".repeat(64));
        return m;
    }

    /** Sets the vote arrays so that cc clean and ac adversarial votes are correct. */
    static void setVotes(Map<String, Object> m, int label, int votes, int cc, int ac, Random rnd) {
        m.put("clean_votes", votesArray(label, votes, cc, rnd));
        m.put("adversarial_votes", votesArray(label, votes, ac, rnd));
        m.put("clean_correct", cc);
        m.put("adversarial_correct", ac);
        m.put("clean_prediction", cc * 2 > votes ? label : (label + 1) % 10);
        m.put("adversarial_prediction", ac * 2 > votes ? label : (label + 1) % 10);
    }

    private static Integer[] votesArray(int label, int votes, int correct, Random rnd) {
        List<Integer> v = new ArrayList<>();
        for (int k = 0; k < votes; k++) {
            v.add(k < correct ? label : (label + 1 + rnd.nextInt(9)) % 10);
        }
        java.util.Collections.shuffle(v, rnd);
        return v.toArray(new Integer[0]);
    }

    /** Rows of a run: n samples (ids 0..n-1), each changed by the edit. */
    static List<Map<String, Object>> run(
            String runId, int n, int votes, long seed, Consumer<Map<String, Object>> edit) {
        Random rnd = new Random(seed);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            Map<String, Object> m = row(runId, i, votes, rnd);
            edit.accept(m);
            rows.add(m);
        }
        return rows;
    }

    /**
     * Sets a row's budget checkpoints (schema 3) at these iterations of a run of the last one: at
     * checkpoint c, {@code correct[c]} of the K votes right, the last one the row's adversarial
     * votes; spending grows by 8 gradient rows per checkpoint; fooled during the attack from
     * checkpoint {@code fooledFrom} on.
     */
    static void setCheckpoints(
            Map<String, Object> m, int[] at, int[] correct, int fooledFrom, Random rnd) {
        int label = (Integer) m.get("label");
        int votes = (Integer) m.get("votes");
        Row[] cps = new Row[at.length];
        for (int c = 0; c < at.length; c++) {
            boolean last = c == at.length - 1;
            Integer[] v =
                    last
                            ? (Integer[]) m.get("adversarial_votes")
                            : votesArray(label, votes, correct[c], rnd);
            int right = 0;
            for (int x : v) {
                right += x == label ? 1 : 0;
            }
            cps[c] =
                    RowFactory.create(
                            at[c],
                            (long) at[at.length - 1],
                            v,
                            right,
                            8L * (c + 1),
                            last ? 4L : 0L,
                            8L * (c + 1),
                            c >= fooledFrom ? 1L : 0L,
                            1.0 / (c + 1));
        }
        m.put("budget_checkpoints", cps);
        m.put("schema_version", 3);
    }

    /** Appends rows to the samples table under an output (partitioned like the job's). */
    static void writeSamples(SparkSession spark, String output, List<Map<String, Object>> rows) {
        // Version 1 tables: the columns version 1 had.
        writeSamples(spark, output, rows, 1);
    }

    /** Appends rows with the columns of a schema version (those a row lacks are NULL). */
    static void writeSamples(
            SparkSession spark, String output, List<Map<String, Object>> rows, int version) {
        org.apache.spark.sql.types.StructType v1 = SamplesTable.schemaOf(version);
        List<Row> out = new ArrayList<>();
        for (Map<String, Object> m : rows) {
            Object[] v = new Object[v1.fields().length];
            int i = 0;
            for (StructField f : v1.fields()) {
                v[i++] = m.get(f.name());
            }
            out.add(RowFactory.create(v));
        }
        Dataset<Row> df = spark.createDataFrame(out, v1);
        df.write()
                .mode(SaveMode.Append)
                .partitionBy("run_id", "chunk")
                .parquet(TablePaths.samples(output));
    }

    /** Appends a runs row. */
    static void writeRun(SparkSession spark, String output, String runId, long startedMillis) {
        Row r =
                RowFactory.create(
                        runId,
                        "synthetic",
                        "done",
                        "experiment.name = synthetic",
                        "a".repeat(64),
                        "0".repeat(40),
                        "test",
                        "test",
                        "demo-unet",
                        "e".repeat(64),
                        "demo-cnn",
                        "c".repeat(64),
                        "synthetic",
                        0,
                        1,
                        1,
                        new Timestamp(startedMillis),
                        new Timestamp(startedMillis + 1000),
                        1);
        // Version 1 runs rows: without the columns version 2 added.
        org.apache.spark.sql.types.StructType v1 = new org.apache.spark.sql.types.StructType();
        for (StructField f : RunsTable.SCHEMA.fields()) {
            if (!RunsTable.SCHEMA_2_COLUMNS.contains(f.name())
                    && !RunsTable.STOP_COLUMNS.contains(f.name())
                    && !f.name().equals("perceptual_sha256")) {
                v1 = v1.add(f);
            }
        }
        spark.createDataFrame(List.of(r), v1)
                .write()
                .mode(SaveMode.Append)
                .partitionBy("run_id")
                .parquet(TablePaths.runs(output));
    }
}
