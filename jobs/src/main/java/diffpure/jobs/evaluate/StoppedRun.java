package diffpure.jobs.evaluate;

import diffpure.eval.StoppingRule;
import diffpure.jobs.run.ChunkEngine;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.store.RunsTable;
import diffpure.jobs.store.StopSequences;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Where a run's stopping rule ended it.
 *
 * @param row what its runs row records
 * @param summary every accuracy with its 95% confidence sequence over the first row.samples()
 *     samples of the plan order
 * @param evaluatedAfter samples committed beyond the stop (chunks that were already running): in
 *     the tables, in no interval
 */
public record StoppedRun(
        RunsTable.Stop row, diffpure.eval.ProtocolSummary summary, long evaluatedAfter) {
    /** Where the rule ended the run, from the chunks marked done now; null while it goes on. */
    static StoppedRun at(RunPlan plan, ChunkEngine engine, PrefixStop rule) {
        List<Integer> all = IntStream.range(0, plan.chunks().size()).boxed().toList();
        List<Integer> notDone = engine.notDone(all);
        List<Integer> done = all.stream().filter(k -> !notDone.contains(k)).toList();
        PrefixStop.Ended e = rule.ended(done);
        if (e == null) {
            return null;
        }
        StoppingRule.Stop s = e.stop();
        return new StoppedRun(
                new RunsTable.Stop(
                        s.samples(),
                        s.reason().key(),
                        s.stepRows(),
                        e.metric(),
                        StopSequences.json(e.summary(), e.population())),
                e.summary(),
                e.evaluatedAfter());
    }

    /** The summary line's words for this stop. */
    public String text() {
        StoppedRun s = this;
        return String.format(
                Locale.ROOT,
                "stopped (%s) after %d samples of the plan order, %d model step-rows%s",
                s.row().reason(),
                s.row().samples(),
                s.row().stepRows(),
                s.evaluatedAfter() > 0
                        ? "; "
                                + s.evaluatedAfter()
                                + " more samples of chunks already running are in the tables but"
                                + " in no interval"
                        : "");
    }
}
