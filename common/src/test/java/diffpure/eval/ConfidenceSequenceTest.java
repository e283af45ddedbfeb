package diffpure.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The betting confidence sequence on simulated streams: time-uniform coverage (with and without
 * replacement, 0/1 and mean-of-K values), a width that is useful, and why Wilson cannot be watched.
 */
class ConfidenceSequenceTest {
    private static final double ALPHA = 0.05;
    private static final int RUNS = 2000;
    private static final int HORIZON = 2048;
    private static final double[] PS = {0.02, 0.2, 0.5, 0.9};

    /** The smallest coverage R runs of a 95% sequence may show (3 binomial standard errors). */
    private static double coverageFloor(int runs) {
        return 1 - ALPHA - 3 * Math.sqrt((1 - ALPHA) * ALPHA / runs);
    }

    @Test
    void withReplacementCoversTheTrueMeanAtEveryCountInAtLeast95PercentOfRuns() {
        for (double p : PS) {
            SplittableRandom random = new SplittableRandom(Double.doubleToLongBits(p));
            int covered = 0;
            for (int r = 0; r < RUNS; r++) {
                // Tracking p alone runs the same capital updates as the grid, one candidate wide.
                ConfidenceSequence s = ConfidenceSequence.tracking(ALPHA, 0, p);
                boolean missed = false;
                for (int t = 0; t < HORIZON && !missed; t++) {
                    s.add(random.nextDouble() < p ? 1 : 0);
                    missed = s.everExcluded(0);
                }
                covered += missed ? 0 : 1;
            }
            double coverage = covered / (double) RUNS;
            System.out.printf("with replacement, p = %.2f: coverage %.4f%n", p, coverage);
            assertTrue(coverage >= coverageFloor(RUNS), "p = " + p + ": coverage " + coverage);
        }
    }

    @Test
    void meanOfKValuesAreCoveredToo() {
        // Mean of K = 10 votes, each right with probability q: a [0, 1] value that is not 0/1.
        for (double p : new double[] {0.2, 0.5, 0.9}) {
            SplittableRandom random = new SplittableRandom(17 + Double.doubleToLongBits(p));
            int covered = 0;
            for (int r = 0; r < RUNS; r++) {
                ConfidenceSequence s = ConfidenceSequence.tracking(ALPHA, 0, p);
                boolean missed = false;
                for (int t = 0; t < HORIZON && !missed; t++) {
                    int right = 0;
                    for (int k = 0; k < 10; k++) {
                        right += random.nextDouble() < p ? 1 : 0;
                    }
                    s.add(right / 10.0);
                    missed = s.everExcluded(0);
                }
                covered += missed ? 0 : 1;
            }
            double coverage = covered / (double) RUNS;
            System.out.printf("mean of 10, p = %.2f: coverage %.4f%n", p, coverage);
            assertTrue(coverage >= coverageFloor(RUNS), "p = " + p + ": coverage " + coverage);
        }
    }

    @Test
    void withoutReplacementCoversThePopulationMeanUpToTheWholePopulation() {
        for (double p : PS) {
            SplittableRandom random = new SplittableRandom(31 + Double.doubleToLongBits(p));
            int covered = 0;
            double[] population = new double[HORIZON];
            for (int r = 0; r < RUNS; r++) {
                long ones = 0;
                for (int i = 0; i < HORIZON; i++) {
                    population[i] = random.nextDouble() < p ? 1 : 0;
                    ones += (long) population[i];
                }
                shuffle(population, random);
                double mean = ones / (double) HORIZON;
                ConfidenceSequence s = ConfidenceSequence.tracking(ALPHA, HORIZON, mean);
                boolean missed = false;
                for (int t = 0; t < HORIZON && !missed; t++) {
                    s.add(population[t]);
                    missed = s.everExcluded(0);
                }
                covered += missed ? 0 : 1;
            }
            double coverage = covered / (double) RUNS;
            System.out.printf("without replacement, p = %.2f: coverage %.4f%n", p, coverage);
            assertTrue(coverage >= coverageFloor(RUNS), "p = " + p + ": coverage " + coverage);
        }
    }

    @Test
    void halfWidthAt512IsUsefulWhereAUnionBoundHoeffdingSequenceIsNot() {
        int runs = 200;
        SplittableRandom random = new SplittableRandom(5);
        double total = 0;
        for (int r = 0; r < runs; r++) {
            ConfidenceSequence s = ConfidenceSequence.withReplacement(ALPHA);
            for (int t = 0; t < 512; t++) {
                s.add(random.nextDouble() < 0.5 ? 1 : 0);
            }
            total += s.halfWidth();
        }
        double betting = total / runs;
        double hoeffding = unionBoundHoeffdingHalfWidth(512);
        System.out.printf(
                "half-width at n = 512, p = 0.5: betting %.4f, union-bound Hoeffding %.4f%n",
                betting, hoeffding);
        assertTrue(betting <= 0.11, "betting half-width " + betting);
        assertTrue(hoeffding > 0.11, "Hoeffding half-width " + hoeffding);
    }

    /**
     * Hoeffding's interval at each n with level alpha / (n (n + 1)), which sum to alpha: the
     * textbook way to make fixed-n intervals time-uniform.
     */
    private static double unionBoundHoeffdingHalfWidth(int n) {
        double level = ALPHA / ((double) n * (n + 1));
        return Math.sqrt(Math.log(2 / level) / (2.0 * n));
    }

    @Test
    void wilsonWatchedEvery16SamplesLosesTheTrueMeanInAtLeastOneRunInFive() {
        for (double p : PS) {
            SplittableRandom random = new SplittableRandom(7 + Double.doubleToLongBits(p));
            int left = 0;
            for (int r = 0; r < RUNS; r++) {
                int ones = 0;
                boolean out = false;
                for (int t = 1; t <= HORIZON; t++) {
                    ones += random.nextDouble() < p ? 1 : 0;
                    if (t % 16 == 0 && !out) {
                        Interval w = Interval.wilson(ones, t);
                        out = p < w.lower() || p > w.upper();
                    }
                }
                left += out ? 1 : 0;
            }
            double fraction = left / (double) RUNS;
            System.out.printf("Wilson every 16, p = %.2f: left p in %.4f of runs%n", p, fraction);
            assertTrue(fraction >= 0.20, "p = " + p + ": " + fraction);
        }
    }

    @Test
    void intervalIsTheRunningIntersectionOfTheCapitalTestsUpToOneGridStep() {
        SplittableRandom random = new SplittableRandom(11);
        double step = 1.0 / ConfidenceSequence.GRID;
        for (long population : new long[] {0, 300}) {
            for (int stream = 0; stream < 6; stream++) {
                double p = random.nextDouble();
                ConfidenceSequence s =
                        population == 0
                                ? ConfidenceSequence.withReplacement(ALPHA)
                                : ConfidenceSequence.withoutReplacement(ALPHA, population);
                for (int t = 1; t <= 300; t++) {
                    s.add(
                            stream % 2 == 0
                                    ? (random.nextDouble() < p ? 1 : 0)
                                    : p * random.nextDouble());
                    if (t == 1 || t == 7 || t == 60 || t == 299) {
                        Interval i = s.interval();
                        for (int k = 0; k <= 400; k++) {
                            double m = k / 400.0;
                            boolean replay = s.containsByReplay(m);
                            if (m < i.lower() - 1e-9 || m > i.upper() + 1e-9) {
                                assertFalse(
                                        replay,
                                        "N " + population + " t " + t + " m " + m + " " + i);
                            }
                            if (m > i.lower() + step && m < i.upper() - step) {
                                assertTrue(
                                        replay,
                                        "N " + population + " t " + t + " m " + m + " " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void withoutReplacementEndsAtThePopulationMean() {
        SplittableRandom random = new SplittableRandom(13);
        int n = 200;
        ConfidenceSequence s = ConfidenceSequence.withoutReplacement(ALPHA, n);
        double sum = 0;
        for (int t = 0; t < n; t++) {
            double x = random.nextDouble() < 0.3 ? 1 : 0;
            sum += x;
            s.add(x);
        }
        Interval last = s.interval();
        assertEquals(sum / n, last.lower(), 1e-9);
        assertEquals(sum / n, last.upper(), 1e-9);
    }

    @Test
    void samplesForATargetHalfWidth() {
        for (double p : new double[] {0.1, 0.3, 0.5}) {
            for (double target : new double[] {0.1, 0.08, 0.05}) {
                System.out.printf(
                        "p = %.2f, half-width %.2f: %d samples%n",
                        p, target, ConfidenceSequence.samplesFor(target, p, ALPHA, 0, 20_000));
            }
        }
        int at08 = ConfidenceSequence.samplesFor(0.08, 0.5, ALPHA, 0, 20_000);
        assertTrue(at08 > 400 && at08 < 650, "p = 0.5, half-width 0.08: " + at08);
        assertTrue(ConfidenceSequence.samplesFor(0.05, 0.5, ALPHA, 0, 20_000) > at08);
        assertTrue(ConfidenceSequence.samplesFor(0.08, 0.1, ALPHA, 0, 20_000) < at08);
        // Without replacement a population smaller than the with-replacement figure is enough.
        int wr = ConfidenceSequence.samplesFor(0.05, 0.5, ALPHA, 0, 20_000);
        assertTrue(ConfidenceSequence.samplesFor(0.05, 0.5, ALPHA, wr, 20_000) < wr);
    }

    @Test
    void valuesOutsideTheUnitIntervalAndOverdrawnPopulationsAreNamedErrors() {
        ConfidenceSequence s = ConfidenceSequence.withReplacement(ALPHA);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.add(1.5));
        assertEquals(
                "a confidence sequence for a [0, 1] mean needs values in [0, 1], found 1.5",
                e.getMessage());
        ConfidenceSequence w = ConfidenceSequence.withoutReplacement(ALPHA, 1);
        w.add(1);
        e = assertThrows(IllegalArgumentException.class, () -> w.add(0));
        assertEquals("value 2 drawn without replacement from a population of 1", e.getMessage());
    }

    private static void shuffle(double[] a, SplittableRandom random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            double t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
