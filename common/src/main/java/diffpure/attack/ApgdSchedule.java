package diffpure.attack;

import java.util.Arrays;

/**
 * APGD's step-size rule as AutoAttack runs it, for n rows: checkpoints every k iterations, k
 * starting at 0.22 of the iterations and shrinking by 0.03 of them down to 0.06; at a checkpoint a
 * row's step is halved (and the row sent back to its best point) where at most rho k of the last k
 * steps increased its loss, or where the step was not halved last time and the best loss did not
 * improve. Mutable, confined to one run.
 */
final class ApgdSchedule {
    private final int iterations;
    private final int n;
    private final double rho;
    private final int nIterMin;
    private final int sizeDecr;
    private final float[] lossSteps;
    private int k;
    private int counter;
    private float[] lossBestLastCheck;
    private boolean[] reducedLastCheck;

    ApgdSchedule(int iterations, int n, double rho, float[] lossBest) {
        this.iterations = iterations;
        this.n = n;
        this.rho = rho;
        this.k = Math.max((int) (0.22 * iterations), 1);
        this.nIterMin = Math.max((int) (0.06 * iterations), 1);
        this.sizeDecr = Math.max((int) (0.03 * iterations), 1);
        this.lossSteps = new float[iterations * n];
        this.lossBestLastCheck = lossBest.clone();
        this.reducedLastCheck = new boolean[n];
        Arrays.fill(reducedLastCheck, true);
    }

    /**
     * Records iteration i's losses (one per row) and, at a checkpoint, returns which rows halve
     * their step; null between checkpoints.
     *
     * @param lossBest each row's best loss so far, this iteration's included
     */
    boolean[] after(int i, float[] loss, float[] lossBest) {
        System.arraycopy(loss, 0, lossSteps, i * n, n);
        if (++counter < k) {
            return null;
        }
        boolean[] reduce = new boolean[n];
        for (int r = 0; r < n; r++) {
            // As in the reference, the first window compares its oldest step with an unset (zero)
            // entry.
            int increases = 0;
            for (int c = 0; c < k; c++) {
                int cur = Math.floorMod(i - c, iterations);
                int prev = Math.floorMod(i - c - 1, iterations);
                if (lossSteps[cur * n + r] > lossSteps[prev * n + r]) {
                    increases++;
                }
            }
            boolean oscillating = increases <= k * rho;
            boolean noImprovement = !reducedLastCheck[r] && lossBestLastCheck[r] >= lossBest[r];
            reduce[r] = oscillating || noImprovement;
        }
        reducedLastCheck = reduce;
        lossBestLastCheck = lossBest.clone();
        k = Math.max(k - sizeDecr, nIterMin);
        counter = 0;
        return reduce;
    }
}
