package diffpure.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Robust accuracy against budget from one run's checkpoints ({@link CheckpointOutcome}): at each
 * checkpoint, every vote metric and during-attack accuracy with its 95% Wilson interval over the
 * samples, and the attack's mean model step-rows per sample by then. Each point is "iteration b of
 * a run of N": where the attack's schedule depends on N (APGD) it is not the figure of a run with
 * budget b, and never a preset's.
 *
 * @param points one per checkpoint, in order
 */
public record BudgetCurve(List<Point> points) {
    public BudgetCurve {
        points = List.copyOf(points);
    }

    /**
     * One checkpoint's figures.
     *
     * @param iteration the checkpoint b (cumulative iterations)
     * @param ofIterations N, the run's iterations
     * @param stepRows mean attack step-rows per sample by then ({@link StepRowCost} of its gradient
     *     and forward evaluations; the checkpoint's own votes are measurement, not attack, and not
     *     counted)
     * @param single robust accuracy of vote 1
     * @param majority robust majority-of-K accuracy
     * @param mean robust mean-of-K accuracy
     * @param worst robust worst-of-K accuracy
     * @param any robust any-of-K accuracy
     * @param duringAttack fraction of samples no evaluation had fooled by then; null when the
     *     attack judged its iterates on a surrogate (no during-attack counts)
     */
    public record Point(
            int iteration,
            long ofIterations,
            double stepRows,
            Interval single,
            Interval majority,
            Interval mean,
            Interval worst,
            Interval any,
            Interval duringAttack) {

        /** "iteration b of a run of N". */
        public String label() {
            return "iteration " + iteration + " of a run of " + ofIterations;
        }

        /** The interval of a metric (averaged-logit is not recorded at checkpoints). */
        public Interval of(Metric m) {
            return switch (m) {
                case SINGLE -> single;
                case MAJORITY -> majority;
                case MEAN -> mean;
                case WORST -> worst;
                case ANY -> any;
                case DURING_ATTACK -> duringAttack;
                case AVERAGED_LOGIT ->
                        throw new IllegalArgumentException(
                                "averaged-logit is not recorded at budget checkpoints");
            };
        }
    }

    /**
     * The curve of outcomes that all carry the same checkpoints.
     *
     * @param cost step-rows of a gradient and a forward row (the purifier's chain; 1 for a bare
     *     classifier)
     * @throws IllegalArgumentException when the outcomes' checkpoints differ
     */
    public static BudgetCurve of(List<SampleOutcome> outcomes, StepRowCost cost) {
        return ofSamples(
                outcomes.stream()
                        .map(o -> new Sample(o.sampleId(), o.label(), o.attack().checkpoints()))
                        .toList(),
                cost);
    }

    /**
     * What the curve reads of one sample (a result table's reader need not build a whole {@link
     * SampleOutcome}).
     *
     * @param sampleId stable sample id
     * @param label true label
     * @param checkpoints its checkpoints, in order
     */
    public record Sample(long sampleId, int label, List<CheckpointOutcome> checkpoints) {
        public Sample {
            checkpoints = List.copyOf(checkpoints);
        }
    }

    /**
     * {@link #of} on what the curve reads of each sample.
     *
     * @throws IllegalArgumentException when the samples' checkpoints differ
     */
    public static BudgetCurve ofSamples(List<Sample> outcomes, StepRowCost cost) {
        if (outcomes.isEmpty()) {
            return new BudgetCurve(List.of());
        }
        List<CheckpointOutcome> first = outcomes.get(0).checkpoints();
        int n = outcomes.size();
        List<Point> points = new ArrayList<>();
        for (int c = 0; c < first.size(); c++) {
            double[] sums = new double[6];
            double rows = 0;
            boolean during = true;
            for (Sample o : outcomes) {
                List<CheckpointOutcome> cs = o.checkpoints();
                if (cs.size() != first.size()
                        || cs.get(c).iteration() != first.get(c).iteration()) {
                    throw new IllegalArgumentException(
                            "sample "
                                    + o.sampleId()
                                    + " has checkpoints "
                                    + cs.stream().map(CheckpointOutcome::iteration).toList()
                                    + ", sample "
                                    + outcomes.get(0).sampleId()
                                    + " has "
                                    + first.stream().map(CheckpointOutcome::iteration).toList());
                }
                CheckpointOutcome k = cs.get(c);
                int[] v = k.votes();
                sums[0] += Metric.SINGLE.votes(v, o.label());
                sums[1] += Metric.MAJORITY.votes(v, o.label());
                sums[2] += Metric.MEAN.votes(v, o.label());
                sums[3] += Metric.WORST.votes(v, o.label());
                sums[4] += Metric.ANY.votes(v, o.label());
                sums[5] += k.duringAttackFlag() ? 0 : 1;
                during &= k.duringAttackRecorded();
                rows += cost.of(k.gradients(), k.forwards(), 0);
            }
            CheckpointOutcome k = first.get(c);
            points.add(
                    new Point(
                            k.iteration(),
                            k.ofIterations(),
                            rows / n,
                            wilson(sums[0], n),
                            wilson(sums[1], n),
                            wilson(sums[2], n),
                            wilson(sums[3], n),
                            wilson(sums[4], n),
                            during ? wilson(sums[5], n) : null));
        }
        return new BudgetCurve(points);
    }

    private static Interval wilson(double successes, int n) {
        return Interval.wilson(Math.min(successes, n), n);
    }
}
