package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import diffpure.gradient.Objective;
import diffpure.torch.HostTensors;
import diffpure.torch.Scalars;

/**
 * The attacks' per-row losses as differentiable {@link Objective}s. Targeted losses need a target
 * per row; since a {@link diffpure.gradient.TargetModel} repeats and slices the label vector with
 * its EOT rows, the target travels inside the label: {@code encoded = label * K + target} (see
 * {@link #encode}).
 */
public final class Losses {
    private Losses() {}

    /** Cross-entropy of the true label (APGD-CE, PGD). */
    public static Objective crossEntropy() {
        return Objective.CROSS_ENTROPY;
    }

    /**
     * Difference of logits ratio (Croce &amp; Hein 2020): -(z_y - max_{i != y} z_i) / (z_pi1 -
     * z_pi3 + 1e-12), with z_pi the sorted logits. Needs at least 3 classes.
     */
    public static Objective dlr() {
        return (logits, labels) -> {
            int k = (int) logits.getShape().get(1);
            NDArray sorted = logits.sort(1);
            NDArray top1 = sorted.get(new NDIndex(":, " + (k - 1)));
            NDArray top2 = sorted.get(new NDIndex(":, " + (k - 2)));
            NDArray top3 = sorted.get(new NDIndex(":, " + (k - 3)));
            NDArray zy = logits.mul(labels.oneHot(k)).sum(new int[] {1});
            // Whether the true class is the top one decides which sorted logit is the best other
            // class.
            NDArray isTop =
                    logits.argMax(1)
                            .eq(labels.toType(DataType.INT64, false))
                            .toType(DataType.FLOAT32, false)
                            .stopGradient();
            NDArray other = top2.mul(isTop).add(top1.mul(isTop.neg().add(1)));
            // constants through Scalars: under autograd the graph saves them (see Scalars)
            return zy.sub(other).neg().div(Scalars.add(top1.sub(top3), 1e-12f));
        };
    }

    /**
     * Carlini-Wagner's margin with kappa = infinity, as StAdv maximises it: max_{i != y} z_i - z_y
     * (positive once the sample is misclassified).
     */
    public static Objective cwMargin() {
        return (logits, labels) -> {
            int k = (int) logits.getShape().get(1);
            NDArray sorted = logits.sort(1);
            NDArray top1 = sorted.get(new NDIndex(":, " + (k - 1)));
            NDArray top2 = sorted.get(new NDIndex(":, " + (k - 2)));
            NDArray zy = logits.mul(labels.oneHot(k)).sum(new int[] {1});
            NDArray isTop =
                    logits.argMax(1)
                            .eq(labels.toType(DataType.INT64, false))
                            .toType(DataType.FLOAT32, false)
                            .stopGradient();
            NDArray other = top2.mul(isTop).add(top1.mul(isTop.neg().add(1)));
            return other.sub(zy);
        };
    }

    /**
     * Targeted DLR: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12), labels encoded with
     * {@link #encode}. Needs at least 4 classes.
     */
    public static Objective targetedDlr() {
        return (logits, encoded) -> {
            int k = (int) logits.getShape().get(1);
            NDArray[] lt = decode(encoded, k);
            NDArray sorted = logits.sort(1);
            NDArray top1 = sorted.get(new NDIndex(":, " + (k - 1)));
            NDArray top3 = sorted.get(new NDIndex(":, " + (k - 3)));
            NDArray top4 = sorted.get(new NDIndex(":, " + (k - 4)));
            NDArray zy = logits.mul(lt[0].oneHot(k)).sum(new int[] {1});
            NDArray zt = logits.mul(lt[1].oneHot(k)).sum(new int[] {1});
            NDArray spread = top1.sub(Scalars.mul(top3.add(top4), 0.5f));
            return zy.sub(zt).neg().div(Scalars.add(spread, 1e-12f));
        };
    }

    /** z_t - z_y, labels encoded with {@link #encode}: FAB-T's linearised decision function. */
    public static Objective targetMargin() {
        return (logits, encoded) -> {
            int k = (int) logits.getShape().get(1);
            NDArray[] lt = decode(encoded, k);
            NDArray zy = logits.mul(lt[0].oneHot(k)).sum(new int[] {1});
            NDArray zt = logits.mul(lt[1].oneHot(k)).sum(new int[] {1});
            return zt.sub(zy);
        };
    }

    /**
     * The loss of logits float32[B, copies, K] averaged over the copies, on the host: what a
     * gradient evaluation's loss is, for evaluations made without gradients.
     *
     * @param labels labels (or encoded label-target pairs) of the B rows, in the objective's form
     */
    static float[] meanOverCopies(Objective objective, NDArray logits, NDArray labels) {
        try (NDManager scope = NDManager.subManagerOf(logits)) {
            scope.tempAttachAll(logits, labels);
            long b = logits.getShape().get(0);
            long copies = logits.getShape().get(1);
            NDArray flat = logits.reshape(b * copies, logits.getShape().get(2));
            NDArray rowLabels = labels.repeat(0, copies);
            return Tensors.host(
                    objective.perRow(flat, rowLabels).reshape(b, copies).mean(new int[] {1}));
        }
    }

    /** label * K + target, int64[B]. */
    public static NDArray encode(NDManager manager, long[] labels, long[] targets, int classes) {
        long[] e = new long[labels.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = labels[i] * classes + targets[i];
        }
        return HostTensors.create(manager, e);
    }

    private static NDArray[] decode(NDArray encoded, int k) {
        NDArray e = encoded.toType(DataType.INT64, false);
        NDArray target = e.mod(k);
        NDArray label =
                e.sub(target)
                        .toType(DataType.FLOAT64, false)
                        .div(k)
                        .round()
                        .toType(DataType.INT64, false);
        return new NDArray[] {label, target};
    }

    /**
     * Fails with a message naming the attack when the model has too few classes.
     *
     * @param needed smallest class count the attack works with
     * @param why what needs it, e.g. "the DLR loss"
     */
    static void requireClasses(String attack, int classes, int needed, String why) {
        if (classes < needed) {
            throw new IllegalArgumentException(
                    attack
                            + " needs at least "
                            + needed
                            + " classes ("
                            + why
                            + "), the model has "
                            + classes);
        }
    }
}
