package diffpure.eval;

import java.util.List;

/**
 * The accuracies one run yields, each with its 95% Wilson interval over samples. Mean-of-K counts
 * fractional successes (the mean fraction of correct votes).
 *
 * @param samples number of samples
 * @param cleanSingle clean accuracy of vote 1
 * @param cleanMajority clean majority-of-K accuracy
 * @param cleanMean clean mean-of-K accuracy
 * @param cleanWorst clean worst-of-K accuracy
 * @param cleanDuring fraction of samples whose matching clean evaluations were all correct
 * @param single robust accuracy of vote 1
 * @param majority robust majority-of-K accuracy
 * @param mean robust mean-of-K accuracy
 * @param worst robust worst-of-K accuracy
 * @param any robust any-of-K accuracy (an upper bound on the others)
 * @param duringAttack fraction of samples no evaluation during the attack misclassified
 * @param cleanLogit clean accuracy of the averaged-logit prediction (the paper's BPDA metric); null
 *     when a row lacks it (schema version 1)
 * @param logit robust accuracy of the averaged-logit prediction; null likewise
 */
public record ProtocolSummary(
        int samples,
        Interval cleanSingle,
        Interval cleanMajority,
        Interval cleanMean,
        Interval cleanWorst,
        Interval cleanDuring,
        Interval single,
        Interval majority,
        Interval mean,
        Interval worst,
        Interval any,
        Interval duringAttack,
        Interval cleanLogit,
        Interval logit) {

    /** The summary of per-sample outcomes. */
    public static ProtocolSummary of(List<SampleOutcome> outcomes) {
        int n = outcomes.size();
        double[] c = new double[13];
        boolean logits = true;
        for (SampleOutcome o : outcomes) {
            int[] cv = o.cleanVotes();
            int[] av = o.adversarialVotes();
            int y = o.label();
            c[0] += Votes.single(cv, y) ? 1 : 0;
            c[1] += Votes.majority(cv, y) ? 1 : 0;
            c[2] += Votes.mean(cv, y);
            c[3] += Votes.worst(cv, y) ? 1 : 0;
            c[4] += o.cleanDuringFlag() ? 0 : 1;
            c[5] += Votes.single(av, y) ? 1 : 0;
            c[6] += Votes.majority(av, y) ? 1 : 0;
            c[7] += Votes.mean(av, y);
            c[8] += Votes.worst(av, y) ? 1 : 0;
            c[9] += Votes.any(av, y) ? 1 : 0;
            c[10] += o.duringAttackFlag() ? 0 : 1;
            logits &= o.hasLogitPredictions();
            c[11] += o.hasLogitPredictions() && o.cleanLogitCorrect() ? 1 : 0;
            c[12] += o.hasLogitPredictions() && o.adversarialLogitCorrect() ? 1 : 0;
        }
        return new ProtocolSummary(
                n,
                w(c[0], n),
                w(c[1], n),
                w(c[2], n),
                w(c[3], n),
                w(c[4], n),
                w(c[5], n),
                w(c[6], n),
                w(c[7], n),
                w(c[8], n),
                w(c[9], n),
                w(c[10], n),
                logits ? w(c[11], n) : null,
                logits ? w(c[12], n) : null);
    }

    private static Interval w(double successes, int n) {
        // Fractional sums can exceed n by rounding; keep them in range.
        return Interval.wilson(Math.min(successes, n), n);
    }

    /**
     * Paired comparison of robustness (majority-of-K) between two runs on the same samples, in the
     * same order.
     *
     * @throws IllegalArgumentException when the sample ids differ
     */
    public static McNemar compareMajority(List<SampleOutcome> a, List<SampleOutcome> b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(
                    "paired runs need the same samples, found " + a.size() + " and " + b.size());
        }
        boolean[] ra = new boolean[a.size()];
        boolean[] rb = new boolean[b.size()];
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).sampleId() != b.get(i).sampleId()) {
                throw new IllegalArgumentException(
                        "paired runs need the same samples in the same order; row "
                                + i
                                + " has sample "
                                + a.get(i).sampleId()
                                + " and "
                                + b.get(i).sampleId());
            }
            ra[i] = Votes.majority(a.get(i).adversarialVotes(), a.get(i).label());
            rb[i] = Votes.majority(b.get(i).adversarialVotes(), b.get(i).label());
        }
        return McNemar.test(ra, rb);
    }
}
