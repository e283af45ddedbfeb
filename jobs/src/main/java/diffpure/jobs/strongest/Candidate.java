package diffpure.jobs.strongest;

import diffpure.jobs.report.Setting;
import java.util.Comparator;

/**
 * One candidate adversarial image of a sample with the recorded votes that judged it: a run's own
 * row (its K votes), or a rescore of that run under the same defence (the rescore's votes of the
 * same image).
 *
 * @param threat the threat setting
 * @param source the run's attack setting (the image's row)
 * @param runId the run that made the image
 * @param sampleId the sample
 * @param sampleIndex its position in the data set
 * @param label its label
 * @param votedBy the run or rescore whose votes these are
 * @param correct correct votes
 * @param votes K of those votes
 * @param when ordering of "later": the run's start (epoch ms; rescores rank after their run)
 */
public record Candidate(
        ThreatSetting threat,
        Setting source,
        String runId,
        long sampleId,
        int sampleIndex,
        int label,
        String votedBy,
        int correct,
        int votes,
        When when) {

    /**
     * When a candidate's votes were recorded, for ties.
     *
     * @param started the run's start (epoch ms; 0 when unknown)
     * @param rescore whether the votes are a rescore's (later than the run's own)
     */
    public record When(long started, boolean rescore) {}

    /**
     * Strongest first: the smaller share of correct votes (fewest correct at equal K), ties by the
     * later run (then a rescore after the run's own votes, then the larger id), so that the order
     * is total and the choice deterministic.
     */
    public static final Comparator<Candidate> STRONGEST_FIRST =
            ((Comparator<Candidate>)
                            (a, b) ->
                                    Long.compare(
                                            (long) a.correct * b.votes, (long) b.correct * a.votes))
                    .thenComparing(c -> c.when().started(), Comparator.reverseOrder())
                    .thenComparing(c -> c.when().rescore(), Comparator.reverseOrder())
                    .thenComparing(Candidate::votedBy, Comparator.reverseOrder())
                    .thenComparing(c -> c.source().slug(), Comparator.reverseOrder());
}
