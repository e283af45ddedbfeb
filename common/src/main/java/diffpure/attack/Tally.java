package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Per-sample bookkeeping of one attack run over a batch: evaluation counts, fooled evaluations,
 * first success. Mutable, confined to one run.
 */
final class Tally {
    final String attack;
    final long[] gradients;
    final long[] forwards;
    final long[] evaluations;
    final long[] fooled;
    final long[] zeroGradients;
    final int[] firstSuccess;
    final boolean[] success;

    Tally(String attack, int batch) {
        this.attack = attack;
        gradients = new long[batch];
        forwards = new long[batch];
        evaluations = new long[batch];
        fooled = new long[batch];
        zeroGradients = new long[batch];
        firstSuccess = new int[batch];
        success = new boolean[batch];
        java.util.Arrays.fill(firstSuccess, -1);
    }

    /**
     * Records the predictions in logits float32[b, copies, K] of rows idx (indices into the batch)
     * and returns, per row, whether the attack's check evaluation (the last copy, as the
     * reference's last EOT draw) is misclassified.
     *
     * @param gradient whether these evaluations came with gradients
     */
    boolean[] observe(int[] idx, NDArray logits, long[] labels, boolean gradient) {
        return observe(idx, logits, labels, null, gradient);
    }

    /**
     * As {@link #observe(int[], NDArray, long[], boolean)}, but when targets (indexed like labels)
     * is not null the returned flag says whether the check evaluation predicted the row's target
     * class: a targeted run's own criterion. Fooled evaluations are always counted against the true
     * label.
     */
    boolean[] observe(int[] idx, NDArray logits, long[] labels, long[] targets, boolean gradient) {
        int b = idx.length;
        int copies = (int) logits.getShape().get(1);
        long[] pred;
        try (NDManager scope = NDManager.subManagerOf(logits)) {
            scope.tempAttachAll(logits);
            pred = Tensors.hostLong(logits.argMax(2));
        }
        boolean[] wrong = new boolean[b];
        for (int r = 0; r < b; r++) {
            int s = idx[r];
            long lab = labels[s];
            for (int m = 0; m < copies; m++) {
                if (pred[r * copies + m] != lab) {
                    fooled[s]++;
                }
            }
            evaluations[s] += copies;
            if (gradient) {
                gradients[s] += copies;
            } else {
                forwards[s] += copies;
            }
            long check = pred[r * copies + copies - 1];
            wrong[r] = targets == null ? check != lab : check == targets[s];
        }
        return wrong;
    }

    /** Marks sample s as broken at the given iteration (keeps the first). */
    void succeed(int s, int iteration) {
        if (!success[s]) {
            success[s] = true;
            firstSuccess[s] = iteration;
        }
    }

    /** Records which rows' gradients g float32[b, ...] are all zero. */
    void zeroGradients(int[] idx, NDArray g) {
        float[] n;
        try (NDManager scope = NDManager.subManagerOf(g)) {
            scope.tempAttachAll(g);
            n = Tensors.host(g.reshape(g.getShape().get(0), -1).abs().sum(new int[] {1}));
        }
        for (int r = 0; r < idx.length; r++) {
            if (n[r] == 0f) {
                zeroGradients[idx[r]]++;
            }
        }
    }

    AttackTrace trace(int s) {
        return new AttackTrace(
                attack,
                success[s],
                firstSuccess[s],
                gradients[s],
                forwards[s],
                evaluations[s],
                fooled[s],
                zeroGradients[s]);
    }

    java.util.List<AttackTrace> traces() {
        java.util.List<AttackTrace> out = new java.util.ArrayList<>(success.length);
        for (int s = 0; s < success.length; s++) {
            out.add(trace(s));
        }
        return out;
    }
}
