package diffpure.eval;

import java.util.List;

/**
 * The accuracies one run yields, each with a 95% interval over samples: Wilson intervals for a
 * sample count fixed in advance ({@link #of}), or confidence sequences for a run that may have
 * stopped on what it saw ({@link #sequences}). Mean-of-K counts fractional successes (the mean
 * fraction of correct votes).
 *
 * @param samples number of samples
 * @param cleanSingle clean accuracy of vote 1
 * @param cleanMajority clean majority-of-K accuracy
 * @param cleanMean clean mean-of-K accuracy
 * @param cleanWorst clean worst-of-K accuracy
 * @param cleanDuring fraction of samples whose matching clean evaluations were all correct; null
 *     when some sample's attack judged its iterates on a surrogate (no during-attack counts)
 * @param single robust accuracy of vote 1
 * @param majority robust majority-of-K accuracy
 * @param mean robust mean-of-K accuracy
 * @param worst robust worst-of-K accuracy
 * @param any robust any-of-K accuracy (an upper bound on the others)
 * @param duringAttack fraction of samples no evaluation during the attack misclassified; null
 *     likewise
 * @param cleanLogit clean accuracy of the averaged-logit prediction (the paper's BPDA metric); null
 *     when a row lacks it (schema version 1)
 * @param logit robust accuracy of the averaged-logit prediction; null likewise
 * @param intervals what the intervals promise
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
        Interval logit,
        IntervalKind intervals) {
    /** One minus the level of every interval (95%). */
    public static final double ALPHA = 0.05;

    /**
     * The summary of per-sample outcomes with Wilson intervals (a sample count fixed in advance).
     */
    public static ProtocolSummary of(List<SampleOutcome> outcomes) {
        int n = outcomes.size();
        return summarise(
                outcomes,
                IntervalKind.WILSON,
                values -> {
                    double successes = 0;
                    for (double v : values) {
                        successes += v;
                    }
                    // Fractional sums can exceed n by rounding; keep them in range.
                    return Interval.wilson(Math.min(successes, n), n);
                });
    }

    /**
     * The summary with every accuracy's 95% betting confidence sequence at the last sample: valid
     * however the run decided to stop. The outcomes must be in the run's seeded plan order (a
     * uniformly random order of the data set), a prefix of it: the sequence is read in that order.
     *
     * @param population the data set's size N, for the without-replacement sequence that covers the
     *     accuracy over all N samples under the run's seeds; 0 for the with-replacement sequence
     *     (an i.i.d. stream, covering the expected accuracy)
     * @throws IllegalArgumentException when there are more outcomes than the population
     */
    public static ProtocolSummary sequences(List<SampleOutcome> outcomes, long population) {
        return summarise(
                outcomes,
                IntervalKind.CONFIDENCE_SEQUENCE,
                values -> sequence(values, population).interval());
    }

    /** The 95% confidence sequence of one metric's per-sample values, read in order. */
    public static ConfidenceSequence sequence(double[] values, long population) {
        if (population > 0 && values.length > population) {
            throw new IllegalArgumentException(
                    values.length + " samples cannot come from a data set of " + population);
        }
        ConfidenceSequence s = newSequence(population);
        for (double v : values) {
            s.add(v);
        }
        return s;
    }

    /** An empty 95% sequence: without replacement from a population of N, or with (N = 0). */
    public static ConfidenceSequence newSequence(long population) {
        return population == 0
                ? ConfidenceSequence.withReplacement(ALPHA)
                : ConfidenceSequence.withoutReplacement(ALPHA, population);
    }

    private static ProtocolSummary summarise(
            List<SampleOutcome> outcomes,
            IntervalKind kind,
            java.util.function.Function<double[], Interval> interval) {
        boolean logits = outcomes.stream().allMatch(o -> o.votes().hasLogitPredictions());
        boolean during = outcomes.stream().allMatch(o -> o.attack().duringAttack().recorded());
        return new ProtocolSummary(
                outcomes.size(),
                interval.apply(clean(outcomes, Metric.SINGLE)),
                interval.apply(clean(outcomes, Metric.MAJORITY)),
                interval.apply(clean(outcomes, Metric.MEAN)),
                interval.apply(clean(outcomes, Metric.WORST)),
                during ? interval.apply(clean(outcomes, Metric.DURING_ATTACK)) : null,
                interval.apply(robust(outcomes, Metric.SINGLE)),
                interval.apply(robust(outcomes, Metric.MAJORITY)),
                interval.apply(robust(outcomes, Metric.MEAN)),
                interval.apply(robust(outcomes, Metric.WORST)),
                interval.apply(robust(outcomes, Metric.ANY)),
                during ? interval.apply(robust(outcomes, Metric.DURING_ATTACK)) : null,
                logits ? interval.apply(clean(outcomes, Metric.AVERAGED_LOGIT)) : null,
                logits ? interval.apply(robust(outcomes, Metric.AVERAGED_LOGIT)) : null,
                kind);
    }

    /** Each sample's robust value of a metric, in the list's order. */
    public static double[] robust(List<SampleOutcome> outcomes, Metric metric) {
        double[] v = new double[outcomes.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = metric.robust(outcomes.get(i));
        }
        return v;
    }

    /** Each sample's clean value of a metric, in the list's order. */
    public static double[] clean(List<SampleOutcome> outcomes, Metric metric) {
        double[] v = new double[outcomes.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = metric.clean(outcomes.get(i));
        }
        return v;
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
            ra[i] = Votes.majority(a.get(i).votes().adversarial(), a.get(i).label());
            rb[i] = Votes.majority(b.get(i).votes().adversarial(), b.get(i).label());
        }
        return McNemar.test(ra, rb);
    }
}
