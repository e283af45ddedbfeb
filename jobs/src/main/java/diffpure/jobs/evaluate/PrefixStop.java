package diffpure.jobs.evaluate;

import diffpure.config.ExperimentConfig;
import diffpure.eval.ProtocolSummary;
import diffpure.eval.SampleOutcome;
import diffpure.eval.StoppingRule;
import diffpure.jobs.run.PartitionWork;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.run.StopRule;
import diffpure.jobs.store.ResultTables;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TableCommitter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * A run's {@link StoppingRule} as the chunk engine's {@link StopRule}: each committed chunk's rows
 * are read back from the samples table once, put in plan order, and the rule is evaluated on the
 * committed prefix, so the stop depends on the rows and the plan only, never on which chunk
 * finished first.
 */
final class PrefixStop implements StopRule {
    /** The columns the rule and the summary read (no perturbation). */
    private static final List<String> COLUMNS =
            SamplesTable.names(
                    SamplesTable.SAMPLE_INDEX,
                    SamplesTable.SAMPLE_ID,
                    SamplesTable.LABEL,
                    SamplesTable.STEPS,
                    SamplesTable.GRADIENT_ROW_STEPS,
                    SamplesTable.FORWARD_ROW_STEPS,
                    SamplesTable.CLEAN_VOTES,
                    SamplesTable.ADVERSARIAL_VOTES,
                    SamplesTable.CLEAN_LOGIT_PREDICTION,
                    SamplesTable.ADVERSARIAL_LOGIT_PREDICTION,
                    SamplesTable.DURING_ATTACK_EVALUATIONS,
                    SamplesTable.DURING_ATTACK_FOOLED,
                    SamplesTable.CLEAN_DURING_EVALUATIONS,
                    SamplesTable.CLEAN_DURING_FOOLED,
                    SamplesTable.GRADIENT_EVALUATIONS,
                    SamplesTable.FORWARD_EVALUATIONS,
                    SamplesTable.VOTE_EVALUATIONS,
                    SamplesTable.ERROR);

    private final SparkSession spark;
    private final TableCommitter samples;
    private final String runId;
    private final RunPlan runPlan;
    private final StoppingRule rule;
    private final StoppingRule.Plan plan;
    private final Map<Integer, Chunk> read = new HashMap<>();

    /** One chunk's outcomes and step-rows in plan order. */
    private record Chunk(List<SampleOutcome> outcomes, long[] stepRows) {}

    /**
     * Where a run ended.
     *
     * @param stop the sample count, reason, the stop metric's sequence and the step-rows spent
     * @param metric the stop metric's config key
     * @param population the data set's size (the without-replacement sequence's N)
     * @param summary every accuracy's confidence sequence over the first stop.samples() samples
     * @param evaluatedAfter samples committed beyond the stop (chunks that were running), in the
     *     tables but in no interval
     */
    record Ended(
            StoppingRule.Stop stop,
            String metric,
            long population,
            ProtocolSummary summary,
            long evaluatedAfter) {}

    PrefixStop(
            SparkSession spark,
            TableCommitter samples,
            ExperimentConfig c,
            RunPlan runPlan,
            long population) {
        this.spark = spark;
        this.samples = samples;
        this.runId = c.runId();
        this.runPlan = runPlan;
        this.rule = StoppingRule.forRun(c);
        this.plan = new StoppingRule.Plan(c.run().chunkSamples(), runPlan.samples(), population);
    }

    /**
     * Refuses what a stopping run cannot do yet, naming the keys: a sweep (the rule would stop in
     * the first setting) and run.on-error = continue (error rows would leave holes in the random
     * order the sequence reads).
     */
    static void refuseUnsupported(ExperimentConfig c) {
        if (!StoppingRule.forRun(c).active()) {
            return;
        }
        if (c.settings().size() > 1) {
            throw new IllegalArgumentException(
                    "eval.target-half-width / run.budget: a stopping rule cannot run a sweep ("
                            + c.settings().size()
                            + " settings of sweep.eps / sweep.t-star; the rule would stop in the"
                            + " first); run each setting on its own");
        }
        if (c.run().continueOnError()) {
            throw new IllegalArgumentException(
                    "eval.target-half-width / run.budget: a stopping rule needs run.on-error ="
                            + " fail-fast (error rows would leave holes in the random order its"
                            + " confidence sequence reads)");
        }
    }

    @Override
    public synchronized boolean stop(List<Committed> prefix) {
        return end(prefix.stream().map(Committed::chunk).toList()).isPresent();
    }

    /**
     * Where the run ends on a prefix of chunks (0, 1, ... in plan order), empty while it goes on:
     * the rule's first stop, or the end of the data.
     */
    synchronized Optional<StoppingRule.Stop> end(List<Integer> prefix) {
        return rule.end(prefixOf(prefix), plan);
    }

    /**
     * What the run ended with, given every chunk marked done (in any order), or null while it goes
     * on.
     */
    synchronized Ended ended(List<Integer> done) {
        List<Integer> prefix = new ArrayList<>();
        for (int k = 0; done.contains(k); k++) {
            prefix.add(k);
        }
        Optional<StoppingRule.Stop> stop = end(prefix);
        if (stop.isEmpty()) {
            return null;
        }
        int n = stop.get().samples();
        List<SampleOutcome> outcomes = new ArrayList<>();
        for (int k : prefix) {
            outcomes.addAll(chunk(k).outcomes());
        }
        long committed = 0;
        for (int k : done) {
            committed += EvaluationJob.chunkSamples(runPlan, k);
        }
        return new Ended(
                stop.get(),
                rule.metric().key(),
                plan.population(),
                ProtocolSummary.sequences(outcomes.subList(0, n), plan.population()),
                committed - n);
    }

    private StoppingRule.Prefix prefixOf(List<Integer> chunks) {
        List<double[]> values = new ArrayList<>();
        List<long[]> rows = new ArrayList<>();
        int n = 0;
        for (int k : chunks) {
            Chunk c = chunk(k);
            values.add(ProtocolSummary.robust(c.outcomes(), rule.metric()));
            rows.add(c.stepRows());
            n += c.stepRows().length;
        }
        double[] v = new double[n];
        long[] r = new long[n];
        int at = 0;
        for (int i = 0; i < values.size(); i++) {
            System.arraycopy(values.get(i), 0, v, at, values.get(i).length);
            System.arraycopy(rows.get(i), 0, r, at, rows.get(i).length);
            at += values.get(i).length;
        }
        return new StoppingRule.Prefix(v, r);
    }

    /** A committed chunk's rows in plan order, read once. */
    private Chunk chunk(int k) {
        return read.computeIfAbsent(k, this::readChunk);
    }

    private Chunk readChunk(int k) {
        String dir = samples.chunkPath(runId, k);
        List<Row> rows =
                spark.read()
                        .schema(SamplesTable.CHUNK_SCHEMA)
                        .parquet(dir)
                        .select(COLUMNS.stream().map(functions::col).toArray(Column[]::new))
                        .collectAsList();
        Map<Integer, Row> byIndex = new HashMap<>();
        for (Row r : rows) {
            String error = SamplesTable.ERROR.of(r);
            if (error != null) {
                throw new IllegalStateException(
                        "run "
                                + runId
                                + ": sample "
                                + SamplesTable.SAMPLE_ID.of(r)
                                + " in "
                                + dir
                                + " is an error row ("
                                + error
                                + "); a stopping rule reads only complete chunks");
            }
            byIndex.put(SamplesTable.SAMPLE_INDEX.of(r), r);
        }
        List<SampleOutcome> outcomes = new ArrayList<>();
        List<Long> stepRows = new ArrayList<>();
        for (PartitionWork p : runPlan.chunks().get(k)) {
            for (SampleRef ref : p.samples()) {
                Row r = byIndex.get(ref.index());
                if (r == null) {
                    throw new IllegalStateException(
                            "run "
                                    + runId
                                    + ": planned sample "
                                    + ref.id()
                                    + " has no row in "
                                    + dir);
                }
                SampleOutcome o = SamplesTable.toOutcome(r);
                outcomes.add(o);
                stepRows.add(ResultTables.stepRowCost(r).of(o));
            }
        }
        return new Chunk(outcomes, stepRows.stream().mapToLong(Long::longValue).toArray());
    }
}
