package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import diffpure.model.Classifier;
import diffpure.noise.NoiseKey;
import diffpure.noise.NoiseWorkers;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import diffpure.purify.DiffusionPurifier;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * classifier o purifier with EOT: each image becomes {@code eot} rows (copy m of sample b is row
 * b*eot + m, with its own noise key), rows are processed in micro-batches of at most {@code
 * microBatchRows} (gradient accumulation; results do not depend on the split), and gradients and
 * losses are averaged over the copies. Forward calls without a graph ({@link #logits}) take {@code
 * microBatchRows} rows too unless {@link #withForwardRows} says otherwise ({@link GradientPlan}
 * gives them more, as they keep less).
 *
 * <p>With a {@link SurrogateGradient} that judges on the surrogate, the attack's gradient-free
 * evaluations (purpose {@link Purpose#PURIFY}) go through the surrogate chain too, so no attack
 * evaluation is a defence draw; votes (the other purposes) always go through the defence.
 */
public final class DefendedModel implements TargetModel {
    private final DiffusionPurifier purifier;
    private final Classifier classifier;
    private final GradientMode mode;
    private final int eot;
    private final int microBatchRows;
    private final int forwardRows;
    private final long runSeed;
    private final NoiseWorkers noiseWorkers;
    private final RowMeter meter;

    /**
     * @param eot EOT copies per image, &gt;= 1
     * @param microBatchRows most rows per micro-batch; 0 for no limit
     */
    public DefendedModel(
            DiffusionPurifier purifier,
            Classifier classifier,
            GradientMode mode,
            int eot,
            int microBatchRows,
            long runSeed) {
        this(
                purifier,
                classifier,
                mode,
                eot,
                microBatchRows,
                microBatchRows,
                runSeed,
                NoiseWorkers.inline(),
                RowMeter.NONE);
    }

    private DefendedModel(
            DiffusionPurifier purifier,
            Classifier classifier,
            GradientMode mode,
            int eot,
            int microBatchRows,
            int forwardRows,
            long runSeed,
            NoiseWorkers noiseWorkers,
            RowMeter meter) {
        if (eot < 1) {
            throw new IllegalArgumentException("attack.eot must be >= 1, found " + eot);
        }
        if (microBatchRows < 0) {
            throw new IllegalArgumentException(
                    "runtime.micro-batch-rows must be >= 0, found " + microBatchRows);
        }
        if (forwardRows < 0) {
            throw new IllegalArgumentException("forward rows must be >= 0, found " + forwardRows);
        }
        if (!classifier.imageShape().equals(purifier.inputShape())) {
            throw new IllegalArgumentException(
                    "the classifier "
                            + classifier.describe()
                            + " takes "
                            + classifier.imageShape()
                            + " images and the purifier "
                            + purifier.describe()
                            + " "
                            + purifier.inputShape()
                            + " (pair models of different sizes with purify.resize = bilinear)");
        }
        this.purifier = purifier;
        this.classifier = classifier;
        this.mode = mode;
        this.eot = eot;
        this.microBatchRows = microBatchRows;
        this.forwardRows = forwardRows;
        this.runSeed = runSeed;
        this.noiseWorkers = noiseWorkers;
        this.meter = meter;
    }

    /**
     * The same model with its noise drawn ahead by {@code workers} (values unchanged: noise is a
     * pure function of its keys).
     */
    public DefendedModel withNoiseWorkers(NoiseWorkers workers) {
        return new DefendedModel(
                purifier,
                classifier,
                mode,
                eot,
                microBatchRows,
                forwardRows,
                runSeed,
                workers,
                meter);
    }

    /**
     * The same model with at most {@code rows} rows per forward call without a graph (0: no limit).
     */
    public DefendedModel withForwardRows(int rows) {
        return new DefendedModel(
                purifier,
                classifier,
                mode,
                eot,
                microBatchRows,
                rows,
                runSeed,
                noiseWorkers,
                meter);
    }

    /** The same model telling {@code meter} the rows it computes (values unchanged). */
    public DefendedModel withRowMeter(RowMeter meter) {
        return new DefendedModel(
                purifier,
                classifier,
                mode,
                eot,
                microBatchRows,
                forwardRows,
                runSeed,
                noiseWorkers,
                meter);
    }

    /**
     * The same model with the deviation term in every gradient's loss ({@link
     * GradientMode#withDeviation}); this model when the term is off.
     *
     * @throws IllegalArgumentException naming attack.deviation-weight when the gradient mode cannot
     *     carry the term or the chain does not define the alpha-bar of its states
     */
    @Override
    public DefendedModel withDeviation(DeviationLoss deviation) {
        if (deviation.isOff()) {
            return this;
        }
        if (purifier.chain().length() > 1) {
            purifier.chain().stateAlphaBar(1); // refuses a chain without them, by name
        }
        return new DefendedModel(
                purifier,
                classifier,
                mode.withDeviation(deviation),
                eot,
                microBatchRows,
                forwardRows,
                runSeed,
                noiseWorkers,
                meter);
    }

    /** The model a plan describes: its mode, its rows per gradient call and per forward call. */
    public static DefendedModel of(
            DiffusionPurifier purifier,
            Classifier classifier,
            GradientPlan plan,
            int eot,
            long runSeed) {
        return new DefendedModel(
                        purifier,
                        classifier,
                        GradientModes.byName(plan.mode(), plan.options()),
                        eot,
                        plan.gradientRows(),
                        runSeed)
                .withForwardRows(plan.forwardRows());
    }

    @Override
    public Evaluation lossAndGradient(
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            Objective objective,
            Purpose purpose,
            long draw) {
        return perCopy(
                mode,
                objective,
                new Draws(x, labels, sampleIds, purpose, draw, eot),
                (scope, r) ->
                        new Evaluation(
                                scope.ret(r.loss().mean(new int[] {1})),
                                scope.ret(r.logits()),
                                scope.ret(r.gradient().mean(new int[] {1})),
                                r.diagnostics()));
    }

    @Override
    public NDArray logits(NDArray x, long[] sampleIds, Purpose purpose, long draw, int copies) {
        int b = checkBatch(x, sampleIds);
        try (NDManager scope = NDManager.subManagerOf(x);
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            scope.tempAttachAll(x);
            NDArray rows = x.repeat(0, copies);
            RowNoise noise = rowNoise(sampleIds, purpose, draw, copies);
            SurrogateGradient judged = surrogateJudge();
            int total = b * copies;
            int step = forwardRows == 0 ? total : forwardRows;
            NDList out = new NDList();
            for (int from = 0; from < total; from += step) {
                int to = Math.min(total, from + step);
                NDArray part = rows.get(new NDIndex(from + ":" + to));
                NDArray purified =
                        judged != null && purpose == Purpose.PURIFY
                                ? judged.purifyToJudge(purifier, part, noise.slice(from, to))
                                : purifier.purify(part, noise.slice(from, to));
                out.add(classifier.logits(purified));
                meter.computed(0, to - from);
            }
            NDArray logits = NDArrays.concat(out);
            return scope.ret(logits.reshape(new Shape(b, copies, logits.getShape().get(1))));
        }
    }

    /**
     * The purified images that copy 0 of {@link #logits(NDArray, long[], Purpose, long, int)}
     * classifies for this purpose and draw (the same noise keys), float32[B, C, H, W]: what the
     * first vote saw, for pictures.
     */
    public NDArray firstCopies(NDArray x, long[] sampleIds, Purpose purpose, long draw) {
        checkBatch(x, sampleIds);
        try (NDManager scope = NDManager.subManagerOf(x);
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            scope.tempAttachAll(x);
            return scope.ret(purifier.purify(x, rowNoise(sampleIds, purpose, draw, 1)));
        }
    }

    /**
     * Per-copy evaluations without averaging (DiffHammer's N evaluations of an iterate).
     *
     * @param loss float32[B, N], each copy's loss
     * @param logits float32[B, N, K]
     * @param purifiedGradient float32[B, N, C, H, W], each copy's BPDA gradient: dL/dx' at its
     *     purified image
     */
    public record Copies(NDArray loss, NDArray logits, NDArray purifiedGradient) {}

    /**
     * {@code copies} purifications of each image (copy m of sample b keyed (run seed, id, purpose,
     * draw, m), the same keys {@link #logits} uses), each with its loss, logits and the gradient of
     * its loss at its purified image, in micro-batches of the model's gradient rows.
     */
    public Copies copiesWithBpda(
            NDArray x,
            NDArray labels,
            long[] sampleIds,
            Objective objective,
            Purpose purpose,
            long draw,
            int copies) {
        return perCopy(
                new BpdaGradient(),
                objective,
                new Draws(x, labels, sampleIds, purpose, draw, copies),
                (scope, r) ->
                        new Copies(
                                scope.ret(r.loss()),
                                scope.ret(r.logits()),
                                scope.ret(r.gradient())));
    }

    /**
     * DiffHammer's step gradient: for each image, the purification of its copy {@code copy[b]} of a
     * {@link #copiesWithBpda} evaluation (keys (run seed, id, purpose, draw, copy[b])) replayed
     * from x, and {@code upstream[b]} (a gradient at the purified image) carried back to x by
     * {@code grafting}.
     *
     * @return float32[B, C, H, W]
     */
    public NDArray grafted(
            NDArray x,
            long[] sampleIds,
            Purpose purpose,
            long[] draw,
            int[] copy,
            NDArray upstream,
            GradientGrafting grafting) {
        int b = checkBatch(x, sampleIds);
        if (copy.length != b || draw.length != b) {
            throw new IllegalArgumentException(
                    b + " images but " + copy.length + " copies and " + draw.length + " draws");
        }
        List<NoiseKey> keys = new ArrayList<>(b);
        for (int s = 0; s < b; s++) {
            keys.add(new NoiseKey(runSeed, sampleIds[s], purpose, draw[s], copy[s]));
        }
        RowNoise noise = new RowNoise(keys, noiseWorkers);
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x, upstream);
            int step = microBatchRows == 0 ? b : microBatchRows;
            NDList grads = new NDList();
            for (int from = 0; from < b; from += step) {
                int to = Math.min(b, from + step);
                NDIndex slice = new NDIndex(from + ":" + to);
                grads.add(
                        grafting.inputGradient(
                                purifier,
                                x.get(slice),
                                noise.slice(from, to),
                                upstream.get(slice)));
            }
            return scope.ret(NDArrays.concat(grads));
        }
    }

    /** The surrogate that judges the attack's iterates; null when the defence does. */
    private SurrogateGradient surrogateJudge() {
        return mode instanceof SurrogateGradient s && s.judgesOnSurrogate() ? s : null;
    }

    @Override
    public boolean judgesOnSurrogate() {
        return surrogateJudge() != null;
    }

    /**
     * Images with their labels and the keys of {@code copies} draws of each: copy m of sample b is
     * row b*copies + m, keyed (run seed, id, purpose, draw, m).
     */
    private record Draws(
            NDArray x, NDArray labels, long[] sampleIds, Purpose purpose, long draw, int copies) {}

    /**
     * The rows of every copy of each image through gradient mode m, shaped per image (loss [B,
     * copies], logits [B, copies, K], gradient [B, copies, C, H, W]), handed to {@code result}
     * inside a scope that holds them: what it returns from the scope is all that outlives it.
     */
    private <T> T perCopy(
            GradientMode m, Objective objective, Draws d, BiFunction<NDManager, Rows, T> result) {
        NDArray x = d.x();
        int b = checkBatch(x, d.sampleIds());
        int copies = d.copies();
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x, d.labels());
            NDArray rows = x.repeat(0, copies);
            NDArray rowLabels = d.labels().repeat(0, copies);
            Rows r =
                    rows(
                            m,
                            objective,
                            rows,
                            rowLabels,
                            rowNoise(d.sampleIds(), d.purpose(), d.draw(), copies));
            Rows perImage =
                    new Rows(
                            r.loss().reshape(b, copies),
                            r.logits().reshape(new Shape(b, copies, r.logits().getShape().get(1))),
                            r.gradient()
                                    .reshape(new Shape(b, copies).addAll(x.getShape().slice(1))),
                            r.diagnostics());
            return result.apply(scope, perImage);
        }
    }

    /** Per-row losses, logits and gradients of a gradient mode, concatenated over micro-batches. */
    private record Rows(
            NDArray loss, NDArray logits, NDArray gradient, GradientDiagnostics diagnostics) {}

    /** A gradient mode over rows in micro-batches of at most {@code microBatchRows} (0: one). */
    private Rows rows(
            GradientMode m, Objective objective, NDArray rows, NDArray labels, RowNoise noise) {
        int total = (int) rows.getShape().get(0);
        int step = microBatchRows == 0 ? total : microBatchRows;
        NDList losses = new NDList();
        NDList logits = new NDList();
        NDList grads = new NDList();
        GradientDiagnostics diag = null;
        for (int from = 0; from < total; from += step) {
            int to = Math.min(total, from + step);
            NDIndex slice = new NDIndex(from + ":" + to);
            RowGradient r =
                    m.compute(
                            purifier,
                            classifier,
                            objective,
                            rows.get(slice),
                            labels.get(slice),
                            noise.slice(from, to));
            losses.add(r.loss());
            logits.add(r.logits());
            grads.add(r.gradient());
            diag = diag == null ? r.diagnostics() : diag.plus(r.diagnostics());
            meter.computed(to - from, 0);
        }
        return new Rows(
                NDArrays.concat(losses), NDArrays.concat(logits), NDArrays.concat(grads), diag);
    }

    private RowNoise rowNoise(long[] sampleIds, Purpose purpose, long draw, int copies) {
        List<NoiseKey> keys = new ArrayList<>(sampleIds.length * copies);
        for (long id : sampleIds) {
            for (int m = 0; m < copies; m++) {
                keys.add(new NoiseKey(runSeed, id, purpose, draw, m));
            }
        }
        return new RowNoise(keys, noiseWorkers);
    }

    private static int checkBatch(NDArray x, long[] sampleIds) {
        int b = (int) x.getShape().get(0);
        if (b != sampleIds.length) {
            throw new IllegalArgumentException(
                    b + " images but " + sampleIds.length + " sample ids");
        }
        return b;
    }

    public DiffusionPurifier purifier() {
        return purifier;
    }

    public Classifier classifier() {
        return classifier;
    }

    public GradientMode mode() {
        return mode;
    }

    @Override
    public int eot() {
        return eot;
    }

    @Override
    public int classes() {
        return classifier.classes();
    }

    @Override
    public boolean isRandomized() {
        return purifier.chain().steps().stream().anyMatch(s -> s.isStochastic())
                || purifier.chain().forwardNoiseScale() > 0;
    }

    @Override
    public String describe() {
        return classifier.describe()
                + " defended by "
                + purifier.describe()
                + ", gradient "
                + mode.name()
                + (judgesOnSurrogate() ? " (iterates judged on the surrogate)" : "")
                + ", EOT "
                + eot;
    }
}
