package diffpure.jobs.report;

import diffpure.eval.Interval;
import java.util.List;
import java.util.Map;

/**
 * The strongest evidence of one threat setting (its newest pass, view {@code strongest}) beside
 * what each attack showed alone.
 *
 * @param passId the pass (rescore id)
 * @param threat the threat setting in words
 * @param excludedRuns runs the pass left out
 * @param samples samples of the pass without error
 * @param votes K of the fresh votes
 * @param fresh per metric key, the accuracy of the fresh votes with its Wilson interval
 * @param recordedMinimum the majority accuracy counting a sample broken when any run's recorded
 *     verdict broke it (a minimum over noisy verdicts: biased low, shown for contrast)
 * @param attacks per attack, its figures in this threat setting
 * @param published published figures for the paper presets among the runs
 */
public record StrongestFigures(
        String passId,
        String threat,
        List<String> excludedRuns,
        long samples,
        int votes,
        Map<String, Interval> fresh,
        Interval recordedMinimum,
        List<AttackLine> attacks,
        List<String> published) {

    /**
     * One attack's part.
     *
     * @param attack the attack name
     * @param runs its runs in the threat setting (not excluded)
     * @param newestRunId the newest of them
     * @param robust the newest run's robust accuracy (majority of K) with its Wilson interval
     * @param aloneBroke samples only this attack broke (by the recorded majority verdicts)
     * @param chosen samples whose strongest image this attack made
     */
    public record AttackLine(
            String attack,
            int runs,
            String newestRunId,
            Interval robust,
            long aloneBroke,
            long chosen) {}
}
