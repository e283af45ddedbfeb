package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.TargetModel;
import diffpure.model.PerceptualDistance;
import diffpure.noise.Purpose;
import diffpure.torch.HostTensors;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The low-frequency attack of DiffBreak (Kassis et al., arXiv 2411.16598; attacks/lf.py), bounded
 * by a perceptual distance ({@link Norm#LPIPS}) instead of an Lp ball. The candidate image is the
 * clean image reparametrised through a tanh offset and a cascade of learned per-pixel guided
 * filters ({@link GuidedFilterCascade}, guided by the clean image):
 *
 * <pre>
 *   candidate = cascade((tanh(modifier + atanh((2 x - 1) 0.999999)) + 1) / 2),  modifier = 0 at start
 * </pre>
 *
 * Each iteration purifies N copies of the candidate (N = the model's EOT), takes the margin
 * (correct logit minus the largest other, CW with kappa = infinity) averaged over the copies and
 * its input gradient from the {@link TargetModel}, measures the perceptual distance d to the clean
 * image with the network under autograd, and minimises N (margin + c d [d &gt;= eps]), DiffBreak's
 * sum over the copies of margin_p + c d [d &gt;= eps] (c = 1e8 in DiffBreak's CIFAR-10 setting:
 * once outside the bound only the distance is pushed down) with Adam on the modifier and on each
 * filter's weights (their own learning rates), each gradient clipped to norm {@code clipNorm}. The
 * best in-bound iterate so far (d &lt; eps, lowest margin) is then judged by N fresh purifications;
 * the sample stops once they meet the early-stop rule.
 *
 * <p>Changed from the original, and why: gradients are clipped per sample (PyTorch's
 * clip_grad_norm_ on a batch clips the norm over all its samples together, so a sample's step
 * depends on the batch it is in; identical at batch size 1, the original's); one binary-search step
 * only (the original's CIFAR-10 setting; its constant update never runs then); a window wider than
 * the image reflects periodically (PyTorch's reflect padding refuses it); the filter loss and the
 * regularisation are off, as in the original's setting, and not implemented. A candidate outside
 * the bound is never evidence: its purifications count as spent budget, not as during-attack
 * evaluations. The best iterate is judged by the copies' mean margin (the original compares each
 * copy's margin on its own, so its "best" becomes N images, one per copy, by broadcasting); a
 * sample never stopped returns its best in-bound iterate (the original returns the clean image
 * unless some single copy was once fooled).
 *
 * @param threat the perceptual bound ({@link ThreatModel#lpips})
 * @param iterations Adam steps (100)
 * @param filters the cascade of guided filters
 * @param optimiser what Adam minimises and how
 * @param earlyStop when the fresh votes on the best iterate stop the attack on a sample
 * @param network the perceptual network that measures the bound; null until {@link #withNetwork}
 *     (an attack built from settings alone: its name, budget and threat model, not runnable)
 */
public record Lf(
        ThreatModel threat,
        int iterations,
        Filters filters,
        Optimiser optimiser,
        EarlyStop earlyStop,
        PerceptualDistance network)
        implements Attack {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double ADAM_EPS = 1e-8;

    /**
     * The cascade of learned per-pixel guided filters the candidate image passes through.
     *
     * @param kernels kernel sizes {kr, kc} of the cascade, in order ({5,5}, {7,7}, {5,5}, {3,3})
     * @param sigmaColor range sigma of the guidance term (0.05)
     * @param initialSigma sigma of the Gaussian the filters start from (0.2: nearly the identity)
     */
    public record Filters(List<int[]> kernels, double sigmaColor, double initialSigma) {
        public Filters {
            kernels = kernels.stream().map(int[]::clone).toList();
        }

        @Override
        public List<int[]> kernels() {
            return kernels.stream().map(int[]::clone).toList();
        }
    }

    /**
     * What Adam minimises and how.
     *
     * @param penalty c, the weight of the distance once it reaches the bound (1e8)
     * @param filterRate Adam's learning rate for the filter weights (0.05)
     * @param modifierRate Adam's learning rate for the modifier (0.008)
     * @param clipNorm largest norm of a sample's gradient per parameter tensor (1)
     */
    public record Optimiser(
            double penalty, double filterRate, double modifierRate, double clipNorm) {
        public Optimiser {
            if (!(penalty >= 0) || !Double.isFinite(penalty)) {
                throw new IllegalArgumentException(
                        "lf: the penalty c must be >= 0, found " + penalty);
            }
            if (!(filterRate > 0) || !(modifierRate > 0) || !(clipNorm > 0)) {
                throw new IllegalArgumentException(
                        "lf: learning rates and the clip norm must be > 0, found "
                                + filterRate
                                + ", "
                                + modifierRate
                                + ", "
                                + clipNorm);
            }
        }
    }

    /** The rule by which N fresh purifications of the best iterate stop the attack on a sample. */
    public enum EarlyStop {
        /**
         * DiffBreak's: the most frequent label among the N is not the true one (a tie with the true
         * label counts as not won by it, as majority-of-K counts ties wrong).
         */
        PLURALITY("plurality"),
        /**
         * The project's success rule: at least attack.success-fraction of the N copies are wrong
         * ({@link AttackContext#isSuccess}), as every other attack here.
         */
        SUCCESS_FRACTION("success-fraction");

        private final String label;

        EarlyStop(String label) {
            this.label = label;
        }

        /** Its spelling in attack.early-stop. */
        public String label() {
            return label;
        }

        /** The rule by its spelling. */
        public static EarlyStop byLabel(String s) {
            for (EarlyStop e : values()) {
                if (e.label.equals(s)) {
                    return e;
                }
            }
            throw new IllegalArgumentException(
                    "attack.early-stop must be plurality or success-fraction, found '" + s + "'");
        }
    }

    public Lf {
        if (threat == null || threat.norm() != Norm.LPIPS) {
            throw new IllegalArgumentException(
                    "lf needs a perceptual bound (attack.norm = lpips), found " + threat);
        }
        if (iterations < 0) {
            throw new IllegalArgumentException("lf: iterations must be >= 0, found " + iterations);
        }
        if (filters == null || optimiser == null) {
            throw new IllegalArgumentException("lf: filters or optimiser settings missing");
        }
        if (earlyStop == null) {
            throw new IllegalArgumentException("lf: early stop rule missing");
        }
    }

    /** DiffBreak's CIFAR-10 kernels. */
    public static final List<int[]> CIFAR10_KERNELS =
            List.of(new int[] {5, 5}, new int[] {7, 7}, new int[] {5, 5}, new int[] {3, 3});

    /**
     * DiffBreak's CIFAR-10 LF (registry.py LF_params with the CIFAR-10 overrides): bound eps, 100
     * iterations, c = 1e8, kernels 5, 7, 5, 3, sigma-color 0.05, Adam with learning rates 0.05
     * (filters) and 0.008 (modifier), gradients clipped to norm 1, with the given early-stop rule
     * and no network yet.
     */
    public static Lf diffBreak(double eps, EarlyStop earlyStop) {
        return new Lf(
                ThreatModel.lpips(eps),
                100,
                new Filters(CIFAR10_KERNELS, 0.05, 0.2),
                new Optimiser(1e8, 0.05, 0.008, 1.0),
                earlyStop,
                null);
    }

    /** The same attack measuring its bound with this network. */
    public Lf withNetwork(PerceptualDistance net) {
        return new Lf(threat, iterations, filters, optimiser, earlyStop, net);
    }

    @Override
    public String name() {
        return "lf";
    }

    @Override
    public Lf withEps(double eps) {
        return with(threat.withEps(eps), iterations);
    }

    @Override
    public Lf withIterations(int n) {
        return with(threat, n);
    }

    /** This attack with another threat model and budget. */
    private Lf with(ThreatModel t, int n) {
        return new Lf(t, n, filters, optimiser, earlyStop, network);
    }

    @Override
    public void requireClassCount(int classes) {
        Losses.requireClasses(name(), classes, 2, "a wrong class to move to");
    }

    /** Parameters and Adam state of every row, on the host; rows advance independently. */
    private static final class State {
        final float[][] params; // [filters..., modifier][B * per-row size]
        final float[][] m;
        final float[][] v;
        final int[] sizes; // per-row size of each parameter tensor
        final int[] steps;

        State(float[][] params, int[] sizes, int rows) {
            this.params = params;
            this.sizes = sizes;
            m = new float[params.length][];
            v = new float[params.length][];
            for (int i = 0; i < params.length; i++) {
                m[i] = new float[params[i].length];
                v[i] = new float[params[i].length];
            }
            steps = new int[rows];
        }
    }

    @Override
    public AttackResult run(
            TargetModel model, NDArray x, NDArray labels, long[] sampleIds, AttackContext context) {
        requireCompatible(model);
        if (network == null) {
            throw new IllegalStateException(
                    "lf has no perceptual network to measure its bound: set model.perceptual");
        }
        Shape shape = x.getShape();
        if (shape.dimension() != 4) {
            throw new IllegalArgumentException("lf needs images [B, C, H, W], found " + shape);
        }
        int b = (int) shape.get(0);
        if (b != sampleIds.length) {
            throw new IllegalArgumentException(
                    "lf: " + b + " images but " + sampleIds.length + " sample ids");
        }
        if ((long) iterations * 2 >= AttackContext.DRAWS_PER_STAGE) {
            throw new IllegalArgumentException(
                    "lf: "
                            + iterations
                            + " iterations need twice as many draws, more than a stage has ("
                            + AttackContext.DRAWS_PER_STAGE
                            + ")");
        }
        context.checkpoints().requireRecordedBy(this);
        Shape image = shape.slice(1);
        GuidedFilterCascade cascade =
                new GuidedFilterCascade(
                        image, filters.kernels(), filters.sigmaColor(), filters.initialSigma());
        int per = (int) image.size();
        int filterCount = cascade.filters();
        float[] clean = Tensors.host(x);
        long[] lab = Tensors.hostLong(labels);
        int copies = Math.max(1, model.eot());

        float[][] params = new float[filterCount + 1][];
        int[] sizes = new int[filterCount + 1];
        float[][] logGuide = new float[filterCount][];
        for (int f = 0; f < filterCount; f++) {
            params[f] = cascade.initialWeights(f, b);
            sizes[f] = cascade.pixels() * cascade.quarterSize(f);
            logGuide[f] = cascade.logGuidance(f, clean, b);
        }
        params[filterCount] = new float[b * per];
        sizes[filterCount] = per;
        State state = new State(params, sizes, b);

        Tally tally = new Tally(name(), b, context, model.judgesOnSurrogate());
        float[] best = clean.clone();
        double[] bestMargin = new double[b];
        Arrays.fill(bestMargin, Double.POSITIVE_INFINITY);
        boolean[] active = new boolean[b];
        Arrays.fill(active, true);
        for (int it = 0; it < iterations; it++) {
            int[] idx = Tensors.indicesOf(active);
            if (idx.length == 0) {
                break;
            }
            Step step =
                    step(
                            new Rows(model, x, lab, sampleIds, idx, context, tally),
                            cascade,
                            state,
                            logGuide,
                            clean,
                            it);
            for (int r = 0; r < idx.length; r++) {
                int s = idx[r];
                if (step.inBound[r] && step.margin[r] < bestMargin[s]) {
                    bestMargin[s] = step.margin[r];
                    System.arraycopy(step.image, r * per, best, s * per, per);
                    tally.bestMiss[s] = step.miss[r];
                    tally.bestScore[s] = (float) -step.margin[r];
                }
            }
            boolean[] stop =
                    vote(new Rows(model, x, lab, sampleIds, idx, context, tally), best, copies, it);
            for (int r = 0; r < idx.length; r++) {
                if (stop[r]) {
                    tally.succeed(idx[r], it);
                    active[idx[r]] = false;
                }
            }
        }
        try (NDManager scope = NDManager.subManagerOf(x)) {
            NDArray adv = HostTensors.create(scope, best, shape);
            double[] dist = threat.checkPerceptual(x, adv, network, name());
            return new AttackResult(scope.ret(adv), tally.traces(), dist);
        }
    }

    /**
     * What one iteration saw of its active rows (indexed like idx): the candidate images, whether
     * each lay inside the bound, its mean margin over the copies and the fraction of copies
     * classified correctly.
     */
    private record Step(float[] image, boolean[] inBound, double[] margin, double[] miss) {}

    /**
     * One Adam step of rows idx: the candidate, the model's margin gradient at it, the distance
     * under autograd, the chained gradient of margin + c d [d &gt;= eps] to every parameter,
     * clipped per row and tensor, and the update.
     */
    private Step step(
            Rows rows,
            GuidedFilterCascade cascade,
            State state,
            float[][] logGuide,
            float[] clean,
            int it) {
        int[] idx = rows.idx();
        NDArray x = rows.x();
        int a = idx.length;
        int filterCount = cascade.filters();
        Shape image = x.getShape().slice(1);
        int per = (int) image.size();
        Shape rowsShape = new Shape(a).addAll(image);
        float[][] grads = new float[filterCount + 1][];
        float[] candidate;
        boolean[] inBound = new boolean[a];
        double[] margin = new double[a];
        double[] miss;
        try (NDManager scope = NDManager.subManagerOf(x)) {
            NDArray cleanRows = HostTensors.create(scope, pick(clean, idx, per), rowsShape);
            NDArray x0 = GuidedFilterCascade.tanhOffset(cleanRows);
            List<NDArray> leaves = new ArrayList<>();
            List<NDArray> guide = new ArrayList<>();
            for (int f = 0; f < filterCount; f++) {
                int q = cascade.quarterSize(f);
                int kk = cascade.kernelSize(f);
                Shape ws = new Shape(a, cascade.pixels(), q);
                leaves.add(
                        PtAutograd.leaf(
                                HostTensors.create(
                                        scope, pick(state.params[f], idx, state.sizes[f]), ws)));
                guide.add(
                        HostTensors.create(
                                scope,
                                pick(logGuide[f], idx, cascade.pixels() * kk),
                                new Shape(a, cascade.pixels(), kk)));
            }
            NDArray modifier =
                    PtAutograd.leaf(
                            HostTensors.create(
                                    scope, pick(state.params[filterCount], idx, per), rowsShape));
            leaves.add(modifier);
            NDArray cand;
            NDArray dist;
            try (PtAutograd.Mode on = PtAutograd.enabled()) {
                cand = cascade.image(modifier, x0, leaves.subList(0, filterCount), guide);
                dist = network.distance(cand, cleanRows);
            }
            candidate = Tensors.host(cand);
            float[] d = Tensors.host(dist);
            NDArray labRows = HostTensors.create(scope, Tensors.select(rows.labels(), idx));
            TargetModel.Evaluation ev;
            try (PtAutograd.Mode off = PtAutograd.disabled()) {
                ev =
                        rows.model()
                                .lossAndGradient(
                                        cand.stopGradient(),
                                        labRows,
                                        rows.ids(),
                                        Losses.cwMargin(),
                                        Purpose.PURIFY,
                                        rows.context().draw(it));
            }
            float[] wrongMinusRight = Tensors.host(ev.loss());
            // DiffBreak sums over the N copies: sum_p margin_p + N c d [d >= eps]. The model
            // gives the copies' mean, so both terms are scaled by N (clipping to a fixed norm and
            // then Adam is not invariant to that factor).
            float copies = ev.logits().getShape().get(1);
            float[] weight = new float[a];
            for (int r = 0; r < a; r++) {
                margin[r] = -wrongMinusRight[r];
                inBound[r] = d[r] < threat.eps();
                weight[r] = inBound[r] ? 0f : (float) (optimiser.penalty() * copies);
            }
            miss = observe(rows, ev.logits(), inBound, scope);
            rows.tally().zeroGradients(idx, ev.gradient());
            // d/dparams of sum_r N (-grad_r . cand_r + c_r d_r): margin = -(wrong - right).
            try (PtAutograd.Mode on = PtAutograd.enabled()) {
                NDArray seedImage = ev.gradient().mul(-copies);
                NDArray seedDist = HostTensors.create(scope, weight);
                NDArray total = cand.mul(seedImage).sum().add(dist.mul(seedDist).sum()).reshape(1);
                PtAutograd.backward(total, total.onesLike());
            }
            for (int i = 0; i <= filterCount; i++) {
                grads[i] = Tensors.host(PtAutograd.gradientOf(leaves.get(i)));
            }
        }
        for (int i = 0; i <= filterCount; i++) {
            clipPerRow(grads[i], state.sizes[i], a);
            adam(
                    state,
                    i,
                    grads[i],
                    idx,
                    i < filterCount ? optimiser.filterRate() : optimiser.modifierRate());
        }
        for (int s : idx) {
            state.steps[s]++;
        }
        return new Step(candidate, inBound, margin, miss);
    }

    /**
     * The rows an iteration works on and what it reports to.
     *
     * @param idx the active rows, indices into the batch
     */
    private record Rows(
            TargetModel model,
            NDArray x,
            long[] labels,
            long[] sampleIds,
            int[] idx,
            AttackContext context,
            Tally tally) {
        long[] ids() {
            return Tensors.select(sampleIds, idx);
        }
    }

    /**
     * Records the gradient pass's predictions of the in-bound candidates as during-attack
     * evaluations (an out-of-bound candidate is no evidence: its copies count as spent gradients
     * only) and returns each row's fraction of correct copies (NaN outside the bound).
     */
    private static double[] observe(Rows rows, NDArray logits, boolean[] inBound, NDManager scope) {
        int a = inBound.length;
        int copies = (int) logits.getShape().get(1);
        double[] miss = new double[a];
        Arrays.fill(miss, Double.NaN);
        int[] local = Tensors.indicesOf(inBound);
        for (int r = 0; r < a; r++) {
            if (!inBound[r]) {
                rows.tally().spent(rows.idx()[r], copies, true);
            }
        }
        if (local.length > 0) {
            int[] global = new int[local.length];
            for (int j = 0; j < local.length; j++) {
                global[j] = rows.idx()[local[j]];
            }
            Tally.Seen seen =
                    rows.tally()
                            .observe(
                                    global,
                                    Tensors.rows(logits, local, scope),
                                    rows.labels(),
                                    true);
            for (int j = 0; j < local.length; j++) {
                miss[local[j]] = seen.miss()[j];
            }
        }
        return miss;
    }

    /** Scales each row of g (rows of {@code size}) to norm at most clipNorm, as clip_grad_norm_. */
    private void clipPerRow(float[] g, int size, int rows) {
        for (int r = 0; r < rows; r++) {
            double sq = 0;
            for (int i = r * size; i < (r + 1) * size; i++) {
                sq += (double) g[i] * g[i];
            }
            double coef = optimiser.clipNorm() / (Math.sqrt(sq) + 1e-6);
            if (coef < 1) {
                for (int i = r * size; i < (r + 1) * size; i++) {
                    g[i] = (float) (g[i] * coef);
                }
            }
        }
    }

    /** PyTorch's Adam step on parameter tensor i of rows idx (their own step counts). */
    private static void adam(State st, int i, float[] g, int[] idx, double lr) {
        int size = st.sizes[i];
        float[] p = st.params[i];
        float[] m = st.m[i];
        float[] v = st.v[i];
        for (int r = 0; r < idx.length; r++) {
            int t = st.steps[idx[r]] + 1;
            double c1 = 1 - Math.pow(BETA1, t);
            double c2 = 1 - Math.pow(BETA2, t);
            int base = idx[r] * size;
            for (int j = 0; j < size; j++) {
                double gj = g[r * size + j];
                m[base + j] = (float) (BETA1 * m[base + j] + (1 - BETA1) * gj);
                v[base + j] = (float) (BETA2 * v[base + j] + (1 - BETA2) * gj * gj);
                p[base + j] -=
                        (float)
                                (lr
                                        * (m[base + j] / c1)
                                        / (Math.sqrt(v[base + j] / c2) + ADAM_EPS));
            }
        }
    }

    private static float[] pick(float[] all, int[] idx, int size) {
        float[] out = new float[idx.length * size];
        for (int r = 0; r < idx.length; r++) {
            System.arraycopy(all, idx[r] * size, out, r * size, size);
        }
        return out;
    }

    /**
     * N fresh purifications of each active row's best iterate (draws after the gradient passes'),
     * recorded as during-attack evaluations; returns which rows they stop by the early-stop rule.
     */
    private boolean[] vote(Rows rows, float[] best, int copies, int it) {
        int[] idx = rows.idx();
        Shape image = rows.x().getShape().slice(1);
        int per = (int) image.size();
        try (NDManager scope = NDManager.subManagerOf(rows.x());
                PtAutograd.Mode off = PtAutograd.disabled()) {
            NDArray images =
                    HostTensors.create(
                            scope, pick(best, idx, per), new Shape(idx.length).addAll(image));
            NDArray logits =
                    rows.model()
                            .logits(
                                    images,
                                    rows.ids(),
                                    Purpose.PURIFY,
                                    rows.context().draw(iterations + (long) it),
                                    copies);
            Tally.Seen seen = rows.tally().observe(idx, logits, rows.labels(), false);
            if (earlyStop == EarlyStop.SUCCESS_FRACTION) {
                return seen.success();
            }
            long[] pred = Tensors.hostLong(logits.argMax(2));
            boolean[] stop = new boolean[idx.length];
            for (int r = 0; r < idx.length; r++) {
                stop[r] =
                        pluralityLost(
                                Arrays.copyOfRange(pred, r * copies, (r + 1) * copies),
                                rows.labels()[idx[r]]);
            }
            return stop;
        }
    }

    /**
     * Whether the true label does not win the vote: some other label got at least as many votes
     * (DiffBreak's rule, with ties against the true label, which it breaks by class index, counted
     * lost).
     */
    static boolean pluralityLost(long[] votes, long label) {
        java.util.Map<Long, Integer> counts = new java.util.HashMap<>();
        for (long v : votes) {
            counts.merge(v, 1, Integer::sum);
        }
        int right = counts.getOrDefault(label, 0);
        for (var e : counts.entrySet()) {
            if (e.getKey() != label && e.getValue() >= right) {
                return true;
            }
        }
        return false;
    }
}
