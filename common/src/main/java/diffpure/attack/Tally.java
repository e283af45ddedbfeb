package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.gradient.FiniteLogits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-sample bookkeeping of one attack run over a batch: evaluation counts, fooled evaluations,
 * success by the context's rule over all EOT copies of an evaluation, and the key of the best
 * iterate seen so far (fewest copies that miss the goal, ties by the higher mean loss). Mutable,
 * confined to one run.
 *
 * <p>When the model judges the attack's iterates on a surrogate ({@link
 * diffpure.gradient.TargetModel#judgesOnSurrogate}), evaluations still rank the iterates and count
 * as spending, but none is a success (so none stops the attack or breaks a sample) and none counts
 * as a during-attack evaluation: those are the defence's alone.
 */
final class Tally {
    final String attack;
    final AttackContext ctx;
    final long[] gradients;
    final long[] forwards;
    final long[] evaluations;
    final long[] fooled;
    final long[] zeroGradients;
    final int[] firstSuccess;
    final boolean[] success;

    /** Whether the evaluations are a surrogate's (attack.surrogate-evaluation = checkpoints). */
    final boolean surrogateJudged;

    /** Fraction of copies that missed the goal at the best iterate; +inf before any. */
    final double[] bestMiss;

    /** Mean loss at the best iterate. */
    final float[] bestScore;

    /** The best iterate of each row on the host, kept only when the context has checkpoints. */
    private final float[][] bestImage;

    /** Checkpoint c's state of row s, once taken: [c][s]. */
    private final Snapshot[][] taken;

    private record Snapshot(
            float[] image,
            double miss,
            long gradients,
            long forwards,
            long evaluations,
            long fooled) {}

    Tally(String attack, int batch, AttackContext ctx, boolean surrogateJudged) {
        this.attack = attack;
        this.ctx = ctx;
        this.surrogateJudged = surrogateJudged;
        gradients = new long[batch];
        forwards = new long[batch];
        evaluations = new long[batch];
        fooled = new long[batch];
        zeroGradients = new long[batch];
        firstSuccess = new int[batch];
        success = new boolean[batch];
        bestMiss = new double[batch];
        bestScore = new float[batch];
        Arrays.fill(firstSuccess, -1);
        Arrays.fill(bestMiss, Double.POSITIVE_INFINITY);
        Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
        bestImage = ctx.checkpoints().active() ? new float[batch][] : null;
        taken = new Snapshot[ctx.checkpoints().at().size()][batch];
    }

    /** Whether this run records checkpoints. */
    boolean recording() {
        return bestImage != null;
    }

    /**
     * As {@link #improve(int[], Seen, float[])}, and keeps a host copy of each row of iterates
     * (float32[b, ...], rows indexed like idx) that became the best, for the checkpoints.
     */
    boolean[] improve(int[] idx, Seen seen, float[] score, NDArray iterates) {
        boolean[] better = improve(idx, seen, score);
        if (recording()) {
            float[] h = null;
            int per = 0;
            for (int r = 0; r < idx.length; r++) {
                if (better[r]) {
                    if (h == null) {
                        h = Tensors.host(iterates);
                        per = h.length / idx.length;
                    }
                    bestImage[idx[r]] = Arrays.copyOfRange(h, r * per, (r + 1) * per);
                }
            }
        }
        return better;
    }

    /**
     * Marks that rows idx have evaluated every iterate up to local iteration count {@code local}
     * (this attack's own count; the context's offset turns it into the cumulative one): each
     * checkpoint at or below it not yet taken for a row takes the row's best so far.
     */
    void reached(int[] idx, long local) {
        if (!recording()) {
            return;
        }
        BudgetCheckpoints cp = ctx.checkpoints();
        for (int c = 0; c < cp.at().size(); c++) {
            long at = cp.at().get(c) - cp.offset();
            if (at < 0 || at > local) {
                continue;
            }
            for (int s : idx) {
                if (taken[c][s] == null) {
                    taken[c][s] = snapshot(s, bestImage[s]);
                }
            }
        }
    }

    private Snapshot snapshot(int s, float[] image) {
        return new Snapshot(
                image,
                Double.isInfinite(bestMiss[s]) ? Double.NaN : bestMiss[s],
                gradients[s],
                forwards[s],
                evaluations[s],
                fooled[s]);
    }

    /**
     * The checkpoints at or after this attack's start (the composition holds the earlier ones),
     * each row not taken during the run (the attack stopped on it earlier, or ran fewer iterations)
     * filled with the row's final state: its returned image in {@code returned} float32 [B * per]
     * on the host.
     */
    List<Checkpoint> checkpoints(float[] returned) {
        List<Checkpoint> out = new ArrayList<>();
        if (!recording()) {
            return out;
        }
        int b = success.length;
        int per = returned.length / b;
        BudgetCheckpoints cp = ctx.checkpoints();
        for (int c = 0; c < cp.at().size(); c++) {
            if (cp.at().get(c) < cp.offset()) {
                continue;
            }
            float[] images = new float[returned.length];
            double[] miss = new double[b];
            long[] g = new long[b];
            long[] f = new long[b];
            long[] e = new long[b];
            long[] fo = new long[b];
            for (int s = 0; s < b; s++) {
                Snapshot t = taken[c][s];
                if (t == null) {
                    t = snapshot(s, Arrays.copyOfRange(returned, s * per, (s + 1) * per));
                }
                if (t.image() == null) {
                    throw new IllegalStateException(
                            attack
                                    + ": checkpoint "
                                    + cp.at().get(c)
                                    + " taken before row "
                                    + s
                                    + " was evaluated");
                }
                System.arraycopy(t.image(), 0, images, s * per, per);
                miss[s] = t.miss();
                g[s] = t.gradients();
                f[s] = t.forwards();
                e[s] = t.evaluations();
                fo[s] = t.fooled();
            }
            out.add(new Checkpoint(cp.at().get(c), images, miss, g, f, e, fo));
        }
        return out;
    }

    /**
     * What one evaluation showed, per observed row.
     *
     * @param success whether the row met the context's success rule (enough copies fooled)
     * @param miss fraction of the evaluation's copies that missed the goal (were classified
     *     correctly, or for a targeted run were not at the target)
     */
    record Seen(boolean[] success, double[] miss) {}

    /**
     * Records the predictions in logits float32[b, copies, K] of rows idx (indices into the batch)
     * as during-attack evaluations, and returns what they showed against the true labels.
     *
     * @param gradient whether these evaluations came with gradients
     */
    Seen observe(int[] idx, NDArray logits, long[] labels, boolean gradient) {
        return observe(idx, logits, labels, null, gradient);
    }

    /**
     * As {@link #observe(int[], NDArray, long[], boolean)}, but when targets (indexed like labels)
     * is not null the goal is the row's target class: a targeted run's own criterion. Fooled
     * evaluations are always counted against the true label.
     */
    Seen observe(int[] idx, NDArray logits, long[] labels, long[] targets, boolean gradient) {
        int b = idx.length;
        int copies = (int) logits.getShape().get(1);
        long[] pred = predictions(logits);
        boolean[] ok = new boolean[b];
        double[] miss = new double[b];
        for (int r = 0; r < b; r++) {
            int s = idx[r];
            long lab = labels[s];
            int reached = 0;
            for (int m = 0; m < copies; m++) {
                long p = pred[r * copies + m];
                if (p != lab && !surrogateJudged) {
                    fooled[s]++;
                }
                if (targets == null ? p != lab : p == targets[s]) {
                    reached++;
                }
            }
            if (!surrogateJudged) {
                evaluations[s] += copies;
            }
            if (gradient) {
                gradients[s] += copies;
            } else {
                forwards[s] += copies;
            }
            ok[r] = !surrogateJudged && ctx.isSuccess(reached, copies);
            miss[r] = 1.0 - reached / (double) copies;
        }
        return new Seen(ok, miss);
    }

    /**
     * Counts copies spent on sample s whose predictions are no evidence (an iterate outside the
     * threat model, LF's): budget only, not during-attack evaluations.
     */
    void spent(int s, int copies, boolean gradient) {
        if (gradient) {
            gradients[s] += copies;
        } else {
            forwards[s] += copies;
        }
    }

    /**
     * Counts a gradient-free evaluation of the clean images that only ranks classes (APGD-T,
     * FAB-T): spent budget, but not an evaluation of an attack iterate, so not a during-attack
     * evaluation.
     */
    void ranking(int[] idx, NDArray logits) {
        int copies = (int) logits.getShape().get(1);
        for (int s : idx) {
            forwards[s] += copies;
        }
    }

    /**
     * Offers the iterates just evaluated (rows idx, what the evaluation showed, their mean loss) as
     * the returned images; returns which rows beat the best so far (fewer copies missing the goal,
     * ties by the higher mean loss) and records their keys.
     */
    boolean[] improve(int[] idx, Seen seen, float[] score) {
        boolean[] better = new boolean[idx.length];
        for (int r = 0; r < idx.length; r++) {
            int s = idx[r];
            double miss = seen.miss()[r];
            if (miss < bestMiss[s] || miss == bestMiss[s] && score[r] > bestScore[s]) {
                bestMiss[s] = miss;
                bestScore[s] = score[r];
                better[r] = true;
            }
        }
        return better;
    }

    /** Marks the rows that met the success rule as broken at the given iteration. */
    void succeedWhere(int[] idx, Seen seen, int iteration) {
        for (int r = 0; r < idx.length; r++) {
            if (seen.success()[r]) {
                succeed(idx[r], iteration);
            }
        }
    }

    /**
     * Marks sample s as broken at the given iteration (keeps the first); never on a surrogate's
     * evaluation.
     */
    void succeed(int s, int iteration) {
        if (!success[s] && !surrogateJudged) {
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
                zeroGradients[s],
                Double.isInfinite(bestMiss[s]) ? Double.NaN : bestMiss[s]);
    }

    List<AttackTrace> traces() {
        List<AttackTrace> out = new ArrayList<>(success.length);
        for (int s = 0; s < success.length; s++) {
            out.add(trace(s));
        }
        return out;
    }

    private long[] predictions(NDArray logits) {
        FiniteLogits.require(logits, null, attack);
        try (NDManager scope = NDManager.subManagerOf(logits)) {
            scope.tempAttachAll(logits);
            return Tensors.hostLong(logits.argMax(2));
        }
    }
}
