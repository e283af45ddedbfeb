package diffpure.eval;

import java.io.Serializable;
import java.util.Optional;

/**
 * When a run stops scheduling samples ({@code eval.stop-metric}, {@code eval.target-half-width},
 * {@code run.budget}): once the 95% confidence sequence of the stop metric's robust accuracy is at
 * most the target half-width, or once the samples have spent the budget in model step-rows. The
 * rule is evaluated at every chunk boundary of the committed prefix in plan order, first boundary
 * first, so where a run stops depends only on the rows and the plan, never on which chunk finished
 * first: a rerun stops at the same sample.
 *
 * @param metric the accuracy whose interval decides
 * @param targetHalfWidth stop once the sequence's half-width is at most this; 0: no target
 * @param budget stop once the prefix has spent this many model step-rows; 0: no budget
 */
public record StoppingRule(Metric metric, double targetHalfWidth, long budget)
        implements Serializable {
    /** No rule: the run evaluates every planned sample. */
    public static final StoppingRule NONE = new StoppingRule(Metric.MAJORITY, 0, 0);

    public StoppingRule {
        if (!(targetHalfWidth >= 0 && targetHalfWidth < 0.5)) {
            throw new IllegalArgumentException(
                    "eval.target-half-width must be in [0, 0.5), found " + targetHalfWidth);
        }
        if (budget < 0) {
            throw new IllegalArgumentException("run.budget must be >= 0, found " + budget);
        }
    }

    /** Why a run stopped. */
    public enum Reason {
        /** The stop metric's sequence reached the target half-width. */
        TARGET_HALF_WIDTH,
        /** The prefix spent the step-row budget. */
        BUDGET,
        /** Every planned sample was evaluated before the target or the budget held. */
        DATA_EXHAUSTED;

        /** The runs table's and the report's name: target-half-width, budget, data-exhausted. */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * Where and why a run stopped.
     *
     * @param samples the stop index: samples of the plan order the decision and the reported
     *     sequences use
     * @param reason the first condition that held there (the target when both did)
     * @param interval the stop metric's confidence sequence at that index
     * @param stepRows step-rows spent by those samples
     */
    public record Stop(int samples, Reason reason, Interval interval, long stepRows)
            implements Serializable {}

    /** The rule of a run's eval.stop-metric, eval.target-half-width and run.budget. */
    public static StoppingRule forRun(diffpure.config.ExperimentConfig c) {
        return new StoppingRule(
                Metric.of(c.eval().stopMetric()), c.eval().targetHalfWidth(), c.run().budget());
    }

    /** Whether the rule can stop a run (a target or a budget is set). */
    public boolean active() {
        return targetHalfWidth > 0 || budget > 0;
    }

    /**
     * The first chunk boundary of a committed prefix at which the rule holds, if any.
     *
     * @param prefix the committed prefix in plan order
     * @param plan how the plan is cut into chunks and what it samples from
     */
    public Optional<Stop> firstStop(Prefix prefix, Plan plan) {
        if (prefix.values().length > plan.samples()) {
            throw new IllegalArgumentException(
                    "a prefix of "
                            + prefix.values().length
                            + " samples is longer than its plan of "
                            + plan.samples());
        }
        if (!active()) {
            return Optional.empty();
        }
        ConfidenceSequence s = ProtocolSummary.newSequence(plan.population());
        long spent = 0;
        int n = prefix.values().length;
        for (int i = 0; i < n; i++) {
            s.add(prefix.values()[i]);
            spent += prefix.stepRows()[i];
            if ((i + 1) % plan.chunkSamples() != 0 && i + 1 != plan.samples()) {
                continue;
            }
            Interval interval = null;
            if (targetHalfWidth > 0) {
                // The target is judged on the current count's interval, never on the running
                // intersection, which collapses after a miss (ConfidenceSequence#currentInterval);
                // the stop reports the intersection, valid at the stop and no wider.
                Interval current = s.currentInterval();
                if (0.5 * (current.upper() - current.lower()) <= targetHalfWidth) {
                    return Optional.of(
                            new Stop(i + 1, Reason.TARGET_HALF_WIDTH, s.interval(), spent));
                }
            }
            if (budget > 0 && spent >= budget) {
                return Optional.of(
                        new Stop(
                                i + 1,
                                Reason.BUDGET,
                                interval != null ? interval : s.interval(),
                                spent));
            }
        }
        return Optional.empty();
    }

    /**
     * Where a run with this rule ends on a committed prefix: the first stop ({@link #firstStop}),
     * else, once the prefix holds every planned sample, {@link Reason#DATA_EXHAUSTED} there; empty
     * while the run goes on.
     */
    public Optional<Stop> end(Prefix prefix, Plan plan) {
        Optional<Stop> stop = firstStop(prefix, plan);
        int n = prefix.values().length;
        if (stop.isPresent() || n < plan.samples() || !active()) {
            return stop;
        }
        long spent = 0;
        for (long r : prefix.stepRows()) {
            spent += r;
        }
        ConfidenceSequence s = ProtocolSummary.sequence(prefix.values(), plan.population());
        return Optional.of(new Stop(n, Reason.DATA_EXHAUSTED, s.interval(), spent));
    }

    /**
     * The chunks the rule is checked at.
     *
     * @param chunkSamples samples per chunk: the rule is checked after samples chunkSamples, 2
     *     chunkSamples, ... and after the plan's last sample
     * @param samples samples planned
     * @param population the data set's size for the without-replacement sequence (0: with
     *     replacement, for a stream without a finite set)
     */
    public record Plan(int chunkSamples, int samples, long population) implements Serializable {
        public Plan {
            if (chunkSamples < 1 || samples < 0 || population < 0) {
                throw new IllegalArgumentException(
                        "a plan needs chunk samples >= 1, samples >= 0 and population >= 0, found "
                                + chunkSamples
                                + ", "
                                + samples
                                + ", "
                                + population);
            }
            if (population > 0 && samples > population) {
                throw new IllegalArgumentException(
                        samples + " planned samples cannot come from a data set of " + population);
            }
        }
    }

    /**
     * A committed prefix in plan order.
     *
     * @param values each sample's value of the stop metric, in [0, 1]
     * @param stepRows each sample's model step-rows
     */
    public record Prefix(double[] values, long[] stepRows) {
        public Prefix {
            if (values.length != stepRows.length) {
                throw new IllegalArgumentException(
                        "a prefix needs one step-row count per value, found "
                                + values.length
                                + " values and "
                                + stepRows.length
                                + " counts");
            }
            values = values.clone();
            stepRows = stepRows.clone();
        }

        /**
         * The prefix of outcomes in plan order: the rule's metric on the adversarial images and
         * each sample's step-rows ({@link StepRowCost#of(SampleOutcome)}).
         */
        public static Prefix of(
                java.util.List<SampleOutcome> outcomes, Metric metric, StepRowCost cost) {
            double[] v = ProtocolSummary.robust(outcomes, metric);
            long[] rows = new long[outcomes.size()];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = cost.of(outcomes.get(i));
            }
            return new Prefix(v, rows);
        }
    }

    /** The accuracies at which {@link #plan} states what the target costs. */
    public static final double[] PLAN_ACCURACIES = {0.1, 0.3, 0.5};

    /**
     * The dry run's line: what the target costs in samples at a few accuracies (0/1 metric, the
     * sequence's half-width on a stream at that accuracy; the data set's size caps it), and the
     * budget; "no stopping rule" without one.
     */
    public String plan(long population, int maxSamples) {
        if (!active()) {
            return "no stopping rule: every planned sample, Wilson intervals";
        }
        StringBuilder s = new StringBuilder("stopping rule on " + metric.key() + ":");
        if (targetHalfWidth > 0) {
            s.append(String.format(" half-width %.3f needs", targetHalfWidth));
            for (int i = 0; i < PLAN_ACCURACIES.length; i++) {
                double p = PLAN_ACCURACIES[i];
                int n = samplesAt(p, population, maxSamples);
                s.append(i == 0 ? " " : ", ")
                        .append(n > maxSamples ? "more than " + maxSamples : String.valueOf(n))
                        .append(String.format(" samples at accuracy %.1f", p));
            }
            s.append(";");
        }
        s.append(budget > 0 ? " budget " + budget + " step-rows" : " no budget");
        return s.toString();
    }

    /**
     * The samples this rule's target needs at accuracy p (0/1 metric, {@link
     * ConfidenceSequence#samplesFor}): the dry run's planning figure; maxSamples + 1 when the
     * target is not reached by then, 0 without a target.
     */
    public int samplesAt(double p, long population, int maxSamples) {
        if (targetHalfWidth == 0) {
            return 0;
        }
        return ConfidenceSequence.samplesFor(
                targetHalfWidth, p, ProtocolSummary.ALPHA, population, maxSamples);
    }
}
