package diffpure.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.stat.interval.ConfidenceInterval;
import org.apache.commons.math3.stat.interval.WilsonScoreInterval;
import org.junit.jupiter.api.Test;

class ProtocolTest {
    private static SampleOutcome outcome(
            long id, int label, int[] clean, int[] adv, long during, long fooled) {
        return new SampleOutcome(
                id,
                label,
                new SampleOutcome.VoteRecord(clean, adv, Votes.mode(clean), Votes.mode(adv)),
                new SampleOutcome.AttackRecord(
                        new SampleOutcome.Perturbation(new float[] {0f}, 0.01, 0.1),
                        new SampleOutcome.DuringAttack(during, fooled, during, 0),
                        -1,
                        null,
                        List.of()),
                new SampleOutcome.Cost(10, 0, 8, 0.5),
                new SampleOutcome.Diagnostics("exact", List.of(), Double.NaN));
    }

    @Test
    void accuraciesMatchAHandComputedExample() {
        // K = 4, label 1 everywhere. Adversarial votes correct: 4, 3, 2 (a tie), 0, 1 of 4.
        List<SampleOutcome> o =
                List.of(
                        outcome(1, 1, new int[] {1, 1, 1, 1}, new int[] {1, 1, 1, 1}, 20, 0),
                        outcome(2, 1, new int[] {1, 1, 1, 0}, new int[] {1, 0, 1, 1}, 20, 3),
                        outcome(3, 1, new int[] {1, 1, 1, 1}, new int[] {0, 1, 1, 0}, 20, 5),
                        outcome(4, 1, new int[] {0, 1, 1, 1}, new int[] {2, 2, 3, 0}, 20, 20),
                        outcome(5, 1, new int[] {1, 1, 1, 1}, new int[] {2, 2, 1, 2}, 20, 1));
        ProtocolSummary s = ProtocolSummary.of(o);
        assertEquals(5, s.samples());
        assertEquals(2 / 5.0, s.single().estimate(), 1e-12); // first votes: 1, 1, 0, 2, 2
        assertEquals(2 / 5.0, s.majority().estimate(), 1e-12); // 4/4 and 3/4; the 2/4 tie is wrong
        assertEquals((1 + 0.75 + 0.5 + 0 + 0.25) / 5, s.mean().estimate(), 1e-12);
        assertEquals(1 / 5.0, s.worst().estimate(), 1e-12);
        assertEquals(4 / 5.0, s.any().estimate(), 1e-12);
        assertEquals(1 / 5.0, s.duringAttack().estimate(), 1e-12);
        assertEquals(3 / 5.0, s.cleanWorst().estimate(), 1e-12);
        assertEquals(4 / 5.0, s.cleanSingle().estimate(), 1e-12);
        assertEquals(1.0, s.cleanMajority().estimate(), 1e-12);
        assertEquals(1, o.get(1).votes().adversarialPrediction());
        assertEquals(2, o.get(3).votes().adversarialPrediction());
        assertTrue(
                s.worst().lower() < s.worst().estimate()
                        && s.worst().upper() > s.worst().estimate());
    }

    @Test
    void sequencesGiveEveryAccuracyItsConfidenceSequence() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        List<SampleOutcome> o = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int[] clean = new int[5];
            int[] adv = new int[5];
            for (int k = 0; k < 5; k++) {
                clean[k] = random.nextDouble() < 0.9 ? 1 : 0;
                adv[k] = random.nextDouble() < 0.5 ? 1 : 2;
            }
            o.add(outcome(i, 1, clean, adv, 20, random.nextDouble() < 0.3 ? 1 : 0));
        }
        ProtocolSummary wilson = ProtocolSummary.of(o);
        ProtocolSummary streamed = ProtocolSummary.sequences(o.subList(0, 100), 0);
        ProtocolSummary whole = ProtocolSummary.sequences(o, 200);
        assertEquals(IntervalKind.WILSON, wilson.intervals());
        assertEquals(IntervalKind.CONFIDENCE_SEQUENCE, whole.intervals());
        List<Interval> w = intervals(wilson);
        List<Interval> c = intervals(streamed);
        List<Interval> all = intervals(whole);
        assertEquals(13, all.size());
        for (int i = 0; i < all.size(); i++) {
            // Same per-sample values as Wilson's; the whole population drawn pins the mean exactly.
            assertEquals(w.get(i).estimate(), all.get(i).estimate(), 1e-12);
            assertEquals(w.get(i).estimate(), all.get(i).lower(), 1e-9, "metric " + i);
            assertEquals(w.get(i).estimate(), all.get(i).upper(), 1e-9, "metric " + i);
            assertEquals(100, c.get(i).trials());
            assertTrue(
                    c.get(i).lower() <= c.get(i).estimate()
                            && c.get(i).estimate() <= c.get(i).upper());
        }
        // Anytime validity costs width: at n = 100 the sequence is wider than Wilson.
        Interval w100 = ProtocolSummary.of(o.subList(0, 100)).majority();
        assertTrue(
                streamed.majority().upper() - streamed.majority().lower()
                        > w100.upper() - w100.lower());
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> ProtocolSummary.sequences(o, 150));
        assertEquals("200 samples cannot come from a data set of 150", e.getMessage());
    }

    private static List<Interval> intervals(ProtocolSummary s) {
        return List.of(
                s.cleanSingle(),
                s.cleanMajority(),
                s.cleanMean(),
                s.cleanWorst(),
                s.cleanDuring(),
                s.single(),
                s.majority(),
                s.mean(),
                s.worst(),
                s.any(),
                s.duringAttack(),
                s.cleanLogit(),
                s.logit());
    }

    @Test
    void worstIsBelowSingleMajorityAndMeanWhichAreBelowAny() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int trial = 0; trial < 200; trial++) {
            int k = 1 + rnd.nextInt(12);
            List<SampleOutcome> o = new ArrayList<>();
            for (int i = 0; i < 1 + rnd.nextInt(20); i++) {
                int[] v = new int[k];
                for (int j = 0; j < k; j++) {
                    v[j] = rnd.nextInt(3);
                }
                o.add(outcome(i, 0, v, v, 1, 0));
            }
            ProtocolSummary s = ProtocolSummary.of(o);
            for (Interval mid : List.of(s.single(), s.majority(), s.mean())) {
                assertTrue(s.worst().estimate() <= mid.estimate() + 1e-12);
                assertTrue(mid.estimate() <= s.any().estimate() + 1e-12);
            }
        }
    }

    @Test
    void wilsonAgreesWithCommonsMathAndHandlesTheEdges() {
        WilsonScoreInterval ref = new WilsonScoreInterval();
        for (int[] c : new int[][] {{0, 10}, {3, 10}, {10, 10}, {256, 512}, {1, 2}}) {
            Interval w = Interval.wilson(c[0], c[1]);
            ConfidenceInterval r = ref.createInterval(c[1], c[0], 0.95);
            assertEquals(r.getLowerBound(), w.lower(), 1e-9);
            assertEquals(r.getUpperBound(), w.upper(), 1e-9);
        }
        Interval empty = Interval.wilson(0, 0);
        assertEquals(0, empty.lower());
        assertEquals(1, empty.upper());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Interval.wilson(5, 4));
        assertEquals("need 0 <= successes <= trials, found 5.0 of 4", e.getMessage());
    }

    @Test
    void mcnemarUsesTheExactTestForFewDiscordantPairs() {
        // b = 1, c = 7: two-sided exact p = 2 * (1 + 8) / 256.
        McNemar m = McNemar.of(1, 7);
        assertEquals(McNemar.Method.EXACT_BINOMIAL, m.method());
        assertEquals(18 / 256.0, m.pValue(), 1e-12);
        assertEquals(9 / 256.0, m.oneSidedBGreater(), 1e-12);
        McNemar big = McNemar.of(10, 30);
        assertEquals(McNemar.Method.CHI_SQUARED_CORRECTED, big.method());
        // (|10 - 30| - 1)^2 / 40 = 9.025, P(chi2_1 > 9.025) = 0.002663
        assertEquals(0.002663, big.pValue(), 1e-5);
        assertEquals(1.0, McNemar.of(0, 0).pValue());
        boolean[] a = {true, true, false, false, true};
        boolean[] b = {true, false, true, true, true};
        McNemar t = McNemar.test(a, b);
        assertEquals(1, t.onlyA());
        assertEquals(2, t.onlyB());
    }

    @Test
    void pairedComparisonNeedsTheSameSamples() {
        List<SampleOutcome> a = List.of(outcome(1, 0, new int[] {0}, new int[] {0}, 1, 0));
        List<SampleOutcome> b = List.of(outcome(2, 0, new int[] {0}, new int[] {1}, 1, 1));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ProtocolSummary.compareMajority(a, b));
        assertEquals(
                "paired runs need the same samples in the same order; row 0 has sample 1 and 2",
                e.getMessage());
    }
}
