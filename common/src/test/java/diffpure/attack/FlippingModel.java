package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.Objective;
import diffpure.gradient.TargetModel;
import diffpure.gradient.UndefendedModel;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.torch.HostTensors;
import java.util.Map;

/**
 * A randomized defence whose single draw is fooled with a known probability: a deterministic
 * classifier, except that each copy of each evaluation (noise key (seed, sample, purpose, draw,
 * copy)) is replaced, with probability {@code p} and whatever the input, by logits that put a decoy
 * class (label + 1 mod K) on top. A lone fooled draw is therefore no evidence that the input is
 * adversarial; the classifier's own prediction is. Gradients are the classifier's (the flip does
 * not depend on the input), losses the classifier's.
 */
final class FlippingModel implements TargetModel {
    private static final float DECOY_LOGIT = 100f;
    private final UndefendedModel base;
    private final double p;
    private final int eot;
    private final long seed;
    private final Map<Long, Long> labels;

    /**
     * @param labels the true label of each sample id (the decoy is the next class)
     */
    FlippingModel(UndefendedModel base, double p, int eot, long seed, Map<Long, Long> labels) {
        this.base = base;
        this.p = p;
        this.eot = eot;
        this.seed = seed;
        this.labels = Map.copyOf(labels);
    }

    /** Whether copy m of draw {@code draw} of the sample is flipped: probability p. */
    boolean flipped(long sampleId, Purpose purpose, long draw, int m) {
        float[] z = new float[1];
        GaussianNoise.fill(new NoiseKey(seed, sampleId, purpose, draw, m), 0, z, 0, 1);
        double u = 0.5 * org.apache.commons.math3.special.Erf.erfc(-z[0] / Math.sqrt(2));
        return u < p;
    }

    @Override
    public Evaluation lossAndGradient(
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            Objective objective,
            Purpose purpose,
            long draw) {
        Evaluation e = base.lossAndGradient(x, labels, sampleIds, objective, purpose, draw);
        NDArray logits = flip(e.logits().repeat(1, eot), sampleIds, purpose, draw);
        return new Evaluation(e.loss(), logits, e.gradient(), e.diagnostics());
    }

    @Override
    public NDArray logits(NDArray x, long[] sampleIds, Purpose purpose, long draw, int copies) {
        return flip(base.logits(x, sampleIds, purpose, draw, copies), sampleIds, purpose, draw);
    }

    private NDArray flip(NDArray logits, long[] ids, Purpose purpose, long draw) {
        Shape s = logits.getShape();
        int b = (int) s.get(0);
        int copies = (int) s.get(1);
        int k = (int) s.get(2);
        float[] v = logits.toFloatArray();
        for (int r = 0; r < b; r++) {
            int decoy = (int) ((labels.get(ids[r]) + 1) % k);
            for (int m = 0; m < copies; m++) {
                if (flipped(ids[r], purpose, draw, m)) {
                    for (int c = 0; c < k; c++) {
                        v[(r * copies + m) * k + c] = c == decoy ? DECOY_LOGIT : 0f;
                    }
                }
            }
        }
        NDManager m = logits.getManager();
        return HostTensors.create(m, v, s);
    }

    @Override
    public int classes() {
        return base.classes();
    }

    @Override
    public int eot() {
        return eot;
    }

    @Override
    public boolean isRandomized() {
        return true;
    }

    @Override
    public String describe() {
        return base.describe() + " with copies flipped to a decoy class with probability " + p;
    }
}
