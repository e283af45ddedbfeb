package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.PerceptualDistance;
import diffpure.torch.PtAutograd;

/**
 * The set of allowed adversarial images: the eps-ball around the clean image in one norm,
 * intersected with the image box [0, 1]; or, for {@link Norm#FLOW_LINF}, the images warped from the
 * clean one by a flow field whose components are at most eps (StAdv, which projects and checks its
 * flows itself); or, for {@link Norm#LPIPS}, the images in [0, 1] whose perceptual distance from
 * the clean one, measured by the run's perceptual network, is at most eps ({@link
 * #checkPerceptual}; the LF attack).
 *
 * @param norm the norm of the ball
 * @param eps its radius, &gt;= 0
 */
public record ThreatModel(Norm norm, double eps) {
    /** Slack allowed for float32 rounding when returned images are checked. */
    public static final double TOLERANCE = 1e-6;

    public ThreatModel {
        if (norm == null) {
            throw new IllegalArgumentException(
                    "attack.norm must be Linf, L2, flow-Linf or lpips, found null");
        }
        if (!(eps >= 0) || !Double.isFinite(eps)) {
            throw new IllegalArgumentException(
                    "attack.eps must be a finite number >= 0, found " + eps);
        }
    }

    /** The Linf ball of radius eps. */
    public static ThreatModel linf(double eps) {
        return new ThreatModel(Norm.LINF, eps);
    }

    /** The L2 ball of radius eps. */
    public static ThreatModel l2(double eps) {
        return new ThreatModel(Norm.L2, eps);
    }

    /** The flow fields with components at most bound (StAdv; 0.05 in DiffPure). */
    public static ThreatModel flow(double bound) {
        return new ThreatModel(Norm.FLOW_LINF, bound);
    }

    /** The perceptual bound of radius eps (the LF attack; 0.05 LPIPS-VGG in DiffBreak). */
    public static ThreatModel lpips(double eps) {
        return new ThreatModel(Norm.LPIPS, eps);
    }

    /**
     * Fails when this threat model does not bound the image itself (a flow or perceptual bound),
     * for the attacks that step and project in pixel space.
     *
     * @param attack named in the message
     * @throws IllegalArgumentException for a flow or perceptual threat model
     */
    public void requireImageBall(String attack) {
        if (!norm.boundsImage()) {
            throw new IllegalArgumentException(
                    attack
                            + " needs an Linf or L2 ball on the image, found "
                            + this
                            + (norm == Norm.LPIPS
                                    ? " (a perceptual bound: use lf)"
                                    : " (a flow bound: use StAdv)"));
        }
    }

    /** The same norm with another radius. */
    public ThreatModel withEps(double newEps) {
        return new ThreatModel(norm, newEps);
    }

    /**
     * The projection of xAdv onto the ball around x, then clamped to [0, 1]. Clamping only shrinks
     * each coordinate of the perturbation, so the result stays in the ball.
     */
    public NDArray project(NDArray x, NDArray xAdv) {
        requireImageBallForState("project");
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x, xAdv);
            NDArray d = xAdv.sub(x);
            if (norm == Norm.LINF) {
                d = d.clip(-eps, eps);
            } else {
                NDArray n = norm.of(d);
                NDArray factor = n.add(1e-12f).pow(-1).mul(eps).minimum(1f);
                d = d.mul(Tensors.perRow(factor, d));
            }
            return scope.ret(x.add(d).clip(0f, 1f));
        }
    }

    /**
     * Throws when a row of adversarial lies outside the ball around x or outside [0, 1] by more
     * than {@link #TOLERANCE}, or is not finite. Distances are recomputed in double precision from
     * the float values.
     *
     * @param attack named in the message
     * @return the per-row distances ||adversarial - x||
     */
    public double[] check(NDArray x, NDArray adversarial, String attack) {
        float[] a = Tensors.host(x);
        float[] b = Tensors.host(adversarial);
        int rows = (int) x.getShape().get(0);
        if (a.length != b.length) {
            throw new IllegalStateException(
                    attack
                            + " returned images of shape "
                            + adversarial.getShape()
                            + " for inputs of shape "
                            + x.getShape());
        }
        return check(a, b, rows, attack);
    }

    /** Host form of {@link #check(NDArray, NDArray, String)}. */
    public double[] check(float[] clean, float[] adversarial, int rows, String attack) {
        requireImageBallForState(attack + " check");
        int per = clean.length / rows;
        double[] dist = new double[rows];
        float[] d = new float[per];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < per; i++) {
                float v = adversarial[r * per + i];
                if (!Float.isFinite(v) || v < -TOLERANCE || v > 1 + TOLERANCE) {
                    throw new IllegalStateException(
                            attack
                                    + " returned pixel "
                                    + i
                                    + " of row "
                                    + r
                                    + " = "
                                    + v
                                    + ", outside [0, 1]");
                }
                d[i] = v - clean[r * per + i];
            }
            dist[r] = norm.of(d, 0, per);
            if (dist[r] > eps + TOLERANCE) {
                throw new IllegalStateException(
                        attack
                                + " returned row "
                                + r
                                + " at "
                                + norm.label()
                                + " distance "
                                + dist[r]
                                + " from its clean image, outside the eps-ball "
                                + eps);
            }
        }
        return dist;
    }

    /**
     * Throws when a row of adversarial is not finite, lies outside [0, 1] by more than {@link
     * #TOLERANCE}, or is farther than eps + {@link #TOLERANCE} from its clean image by the
     * perceptual network's measure (the same network the attack was bounded by, called without a
     * graph).
     *
     * @param network the run's perceptual model
     * @param attack named in the message
     * @return the per-row perceptual distances
     * @throws IllegalStateException naming the row and its distance
     */
    public double[] checkPerceptual(
            NDArray x, NDArray adversarial, PerceptualDistance network, String attack) {
        if (norm != Norm.LPIPS) {
            throw new IllegalStateException(
                    attack + " check: " + this + " is not a perceptual bound");
        }
        if (!x.getShape().equals(adversarial.getShape())) {
            throw new IllegalStateException(
                    attack
                            + " returned images of shape "
                            + adversarial.getShape()
                            + " for inputs of shape "
                            + x.getShape());
        }
        float[] b = Tensors.host(adversarial);
        int rows = (int) x.getShape().get(0);
        int per = b.length / Math.max(1, rows);
        for (int i = 0; i < b.length; i++) {
            float v = b[i];
            if (!Float.isFinite(v) || v < -TOLERANCE || v > 1 + TOLERANCE) {
                throw new IllegalStateException(
                        attack
                                + " returned pixel "
                                + i % per
                                + " of row "
                                + i / per
                                + " = "
                                + v
                                + ", outside [0, 1]");
            }
        }
        float[] d;
        try (NDManager scope = NDManager.subManagerOf(x);
                PtAutograd.Mode off = PtAutograd.disabled()) {
            scope.tempAttachAll(x, adversarial);
            d = Tensors.host(network.distance(adversarial, x));
        }
        double[] dist = new double[rows];
        for (int r = 0; r < rows; r++) {
            dist[r] = d[r];
            if (!(dist[r] <= eps + TOLERANCE)) {
                throw new IllegalStateException(
                        attack
                                + " returned row "
                                + r
                                + " at lpips distance "
                                + dist[r]
                                + " from its clean image by "
                                + network.describe()
                                + ", outside the bound "
                                + eps);
            }
        }
        return dist;
    }

    private void requireImageBallForState(String what) {
        if (!norm.boundsImage()) {
            throw new IllegalStateException(
                    what
                            + ": "
                            + this
                            + (norm == Norm.LPIPS
                                    ? " is measured by a perceptual network: use checkPerceptual"
                                    : " bounds a flow field, not the image; StAdv projects"
                                            + " and checks its flows itself"));
        }
    }

    @Override
    public String toString() {
        return norm.label() + " eps=" + eps;
    }
}
