package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import diffpure.torch.HostTensors;

/**
 * StAdv (Xiao et al., "Spatially transformed adversarial examples", ICLR 2018) with EOT, as
 * DiffPure's stadv_eot: a per-pixel flow field, bilinear warping with zero padding, every flow
 * component bounded by {@code bound} in grid_sample's normalised units (the threat model {@link
 * ThreatModel#flow}), and Adam on the flow, starting from zero, maximising CW's margin (kappa =
 * infinity) minus {@code smoothnessScale / bound} times the flow smoothness loss. The image
 * gradient of the margin comes from the {@link TargetModel} (EOT-averaged there) and is chained
 * through the warp on the host ({@link FlowWarp#flowGradient}); the smoothness term is local. The
 * flow is projected onto the bound after every step.
 *
 * <p>As the other attacks here, a sample counts as broken once an evaluation meets the context's
 * success rule over its EOT copies, and gets the best evaluated point: fewest correctly classified
 * copies, ties by the higher objective. (The reference keeps the highest objective only, and pairs
 * each evaluated loss with the parameters after that iteration's step; here the point kept is the
 * one evaluated.)
 *
 * @param threat the flow bound, {@link ThreatModel#flow}
 * @param iterations Adam steps (100 in DiffPure)
 * @param learningRate Adam's learning rate (0.01)
 * @param smoothnessScale the smoothness weight times the bound (0.0025, so 0.05 at bound 0.05)
 */
public record StAdv(ThreatModel threat, int iterations, double learningRate, double smoothnessScale)
        implements Attack {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double ADAM_EPS = 1e-8;

    /** The flows and the outcome of a run. */
    public record Result(AttackResult attack, float[] flows) {
        public Result {
            flows = flows.clone();
        }

        /** The flows float[B * H * W * 2] (a copy), see {@link FlowWarp}. */
        @Override
        public float[] flows() {
            return flows.clone();
        }
    }

    public StAdv {
        if (threat == null || threat.norm() != Norm.FLOW_LINF) {
            throw new IllegalArgumentException(
                    "stadv needs a flow bound (ThreatModel.flow), found " + threat);
        }
        if (iterations < 0) {
            throw new IllegalArgumentException(
                    "stadv: iterations must be >= 0, found " + iterations);
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException(
                    "stadv: learning rate must be > 0, found " + learningRate);
        }
        if (!(smoothnessScale >= 0) || !Double.isFinite(smoothnessScale)) {
            throw new IllegalArgumentException(
                    "stadv: smoothness scale must be >= 0, found " + smoothnessScale);
        }
    }

    /**
     * DiffPure's StAdv: 100 Adam steps of learning rate 0.01, smoothness weight 0.0025 / bound;
     * their EOT is 20 (build the {@link TargetModel} with it) and their bound 0.05.
     */
    public static StAdv diffPure(double bound) {
        return new StAdv(ThreatModel.flow(bound), 100, 0.01, 0.0025);
    }

    /** The EOT DiffPure ran StAdv with. */
    public static final int PUBLISHED_EOT = 20;

    /**
     * The weight of the smoothness loss at this bound: scale / bound (0 at bound 0, where the flow
     * is 0).
     */
    public double smoothnessWeight() {
        return threat.eps() > 0 ? smoothnessScale / threat.eps() : 0;
    }

    @Override
    public String name() {
        return "stadv";
    }

    @Override
    public StAdv withEps(double bound) {
        return new StAdv(threat.withEps(bound), iterations, learningRate, smoothnessScale);
    }

    @Override
    public StAdv withIterations(int n) {
        return new StAdv(threat, n, learningRate, smoothnessScale);
    }

    @Override
    public void requireClassCount(int classes) {
        Losses.requireClasses(name(), classes, 2, "a wrong class to move to");
    }

    @Override
    public AttackResult run(
            TargetModel model, NDArray x, NDArray labels, long[] sampleIds, AttackContext context) {
        return runWithFlows(model, x, labels, sampleIds, context).attack();
    }

    /** {@link #run}, also returning the flow of each returned image. */
    public Result runWithFlows(
            TargetModel model, NDArray x, NDArray labels, long[] sampleIds, AttackContext context) {
        requireCompatible(model);
        Shape shape = x.getShape();
        if (shape.dimension() != 4) {
            throw new IllegalArgumentException("stadv needs images [B, C, H, W], found " + shape);
        }
        int b = (int) shape.get(0);
        if (b != sampleIds.length) {
            throw new IllegalArgumentException(
                    "stadv: " + b + " images but " + sampleIds.length + " sample ids");
        }
        FlowWarp warp = new FlowWarp((int) shape.get(1), (int) shape.get(2), (int) shape.get(3));
        int per = warp.flowSize();
        double weight = smoothnessWeight();
        context.checkpoints().requireRecordedBy(this);
        Tally tally = new Tally(name(), b, context, model.judgesOnSurrogate());
        long[] lab = Tensors.hostLong(labels);
        int[] all = Tensors.all(b);
        float[] xh = Tensors.host(x);
        float[] flow = new float[b * per];
        float[] best = flow.clone();
        double[] m = new double[flow.length];
        double[] v = new double[flow.length];
        for (int it = 0; it < iterations; it++) {
            float[] margin;
            float[] g;
            Tally.Seen seen;
            try (NDManager scope = NDManager.subManagerOf(x)) {
                scope.tempAttachAll(labels);
                NDArray xa = HostTensors.create(scope, warp.warp(xh, flow, b), shape);
                TargetModel.Evaluation ev =
                        model.lossAndGradient(
                                xa,
                                labels,
                                sampleIds,
                                Losses.cwMargin(),
                                Purpose.PURIFY,
                                context.draw(it));
                seen = tally.observe(all, ev.logits(), lab, true);
                tally.zeroGradients(all, ev.gradient());
                margin = Tensors.host(ev.loss());
                g = Tensors.host(ev.gradient());
            }
            double[] smooth = warp.smoothness(flow, b);
            float[] objective = new float[b];
            for (int s = 0; s < b; s++) {
                objective[s] = (float) (margin[s] - weight * smooth[s]);
            }
            tally.succeedWhere(all, seen, it);
            boolean[] better = tally.improve(all, seen, objective);
            for (int s = 0; s < b; s++) {
                if (better[s]) {
                    System.arraycopy(flow, s * per, best, s * per, per);
                }
            }
            float[] ascent = warp.flowGradient(xh, flow, g, b);
            float[] smoothGrad = warp.smoothnessGradient(flow, b);
            // Adam (PyTorch's update) minimises the negated objective.
            int t = it + 1;
            double c1 = 1 - Math.pow(BETA1, t);
            double c2 = 1 - Math.pow(BETA2, t);
            for (int i = 0; i < flow.length; i++) {
                double grad = -(ascent[i] - weight * smoothGrad[i]);
                m[i] = BETA1 * m[i] + (1 - BETA1) * grad;
                v[i] = BETA2 * v[i] + (1 - BETA2) * grad * grad;
                flow[i] -= (float) (learningRate * (m[i] / c1) / (Math.sqrt(v[i] / c2) + ADAM_EPS));
            }
            warp.project(flow, b, threat.eps());
        }
        float[] out = best;
        float[] adv = warp.warp(xh, out, b);
        double[] dist = check(warp, out, adv, b);
        try (NDManager scope = NDManager.subManagerOf(x)) {
            NDArray a = HostTensors.create(scope, adv, shape);
            return new Result(new AttackResult(scope.ret(a), tally.traces(), dist), out);
        }
    }

    /** Throws unless every flow is within the bound and every warped pixel finite and in [0, 1]. */
    private double[] check(FlowWarp warp, float[] flows, float[] adv, int b) {
        double[] dist = warp.linf(flows, b);
        for (int s = 0; s < b; s++) {
            if (!(dist[s] <= threat.eps() + ThreatModel.TOLERANCE)) {
                throw new IllegalStateException(
                        "stadv returned row "
                                + s
                                + " with flow component "
                                + dist[s]
                                + ", outside the bound "
                                + threat.eps());
            }
        }
        int per = warp.imageSize();
        for (int i = 0; i < adv.length; i++) {
            float p = adv[i];
            if (!Float.isFinite(p) || p < -ThreatModel.TOLERANCE || p > 1 + ThreatModel.TOLERANCE) {
                throw new IllegalStateException(
                        "stadv returned pixel "
                                + i % per
                                + " of row "
                                + i / per
                                + " = "
                                + p
                                + ", outside [0, 1]");
            }
        }
        return dist;
    }
}
