package diffpure.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import diffpure.attack.Attack;
import diffpure.attack.AttackContext;
import diffpure.attack.AttackResult;
import diffpure.attack.AttackTrace;
import diffpure.attack.BudgetCheckpoints;
import diffpure.attack.Checkpoint;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.FiniteLogits;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import diffpure.torch.HostTensors;
import java.util.ArrayList;
import java.util.List;

/**
 * The evaluation protocol for one batch: K votes on the clean images, the attack, K votes on the
 * adversarial images (each also scored by its averaged logits, the paper's BPDA metric), and as
 * many evaluations of each clean image as the attack made of it (to measure how often randomness
 * alone flips it). Votes use their own noise purposes, so they never reuse an attack draw.
 *
 * <p>A model that judges the attack's iterates on a surrogate ({@link
 * TargetModel#judgesOnSurrogate}, attack.surrogate-evaluation = checkpoints) made no defence
 * evaluation during the attack: the during-attack counts, and the clean evaluations that would
 * match them, are {@link SampleOutcome#NOT_RECORDED} (none is spent), and the defence's only
 * figures are the votes at the budget checkpoints and on the returned image.
 *
 * @param model the model attacked and voted on
 * @param attack the attack
 * @param votes K, &gt;= 1 (10 by default)
 * @param runSeed seed of the attack's own randomness
 * @param cleanDuringCap most clean evaluations per sample for the during-attack count (0: no cap,
 *     as the protocol asks); the cap is recorded through {@link
 *     SampleOutcome.DuringAttack#cleanEvaluations()}
 * @param copiesPerCall most copies per model call for the clean during-attack evaluations
 * @param successFraction the attack's success rule: fraction of an evaluation's EOT copies that
 *     must be fooled ({@link AttackContext})
 * @param checkpoints budget checkpoints: at each, the attack's best iterate so far gets its own K
 *     votes ({@link SampleOutcome.AttackRecord#checkpoints()}); every other result is unchanged
 */
public record RobustnessEvaluator(
        TargetModel model,
        Attack attack,
        int votes,
        long runSeed,
        long cleanDuringCap,
        int copiesPerCall,
        double successFraction,
        BudgetCheckpoints checkpoints) {
    /** K of the protocol. */
    public static final int DEFAULT_VOTES = 10;

    public RobustnessEvaluator {
        if (votes < 1) {
            throw new IllegalArgumentException("eval.votes must be >= 1, found " + votes);
        }
        if (cleanDuringCap < 0 || copiesPerCall < 1) {
            throw new IllegalArgumentException(
                    "eval.clean-during-cap must be >= 0 and eval.clean-during-copies-per-call >= 1, found "
                            + cleanDuringCap
                            + " and "
                            + copiesPerCall);
        }
        GradientMaskingChecks.requireEot(model, attack);
        AttackContext.of(runSeed, successFraction);
        checkpoints.requireRecordedBy(attack);
    }

    /** The protocol without budget checkpoints. */
    public RobustnessEvaluator(
            TargetModel model,
            Attack attack,
            int votes,
            long runSeed,
            long cleanDuringCap,
            int copiesPerCall,
            double successFraction) {
        this(
                model,
                attack,
                votes,
                runSeed,
                cleanDuringCap,
                copiesPerCall,
                successFraction,
                BudgetCheckpoints.NONE);
    }

    /** The protocol where an attack's success needs every EOT copy fooled. */
    public RobustnessEvaluator(
            TargetModel model,
            Attack attack,
            int votes,
            long runSeed,
            long cleanDuringCap,
            int copiesPerCall) {
        this(model, attack, votes, runSeed, cleanDuringCap, copiesPerCall, 1.0);
    }

    /** The protocol's defaults: 10 votes, no cap, 64 copies per call. */
    public static RobustnessEvaluator of(TargetModel model, Attack attack, long runSeed) {
        return new RobustnessEvaluator(model, attack, DEFAULT_VOTES, runSeed, 0, 64);
    }

    /** Runs the protocol on a batch and returns one outcome per sample, in batch order. */
    public List<SampleOutcome> evaluate(NDArray x, NDArray labels, long[] sampleIds) {
        long t0 = System.nanoTime();
        int b = (int) x.getShape().get(0);
        int per = (int) x.getShape().slice(1).size();
        long[] lab = labels.toType(DataType.INT64, false).toLongArray();
        String mode = model instanceof DefendedModel d ? d.mode().name() : "none";
        // Adjoint gradients are not exact: each row reports the reconstruction error of y_0 its
        // attack's gradient calls measured.
        ReconstructionErrors recorded =
                mode.equals("adjoint") ? new ReconstructionErrors(model) : null;
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x, labels);
            NDArray cleanLogits = model.logits(x, sampleIds, Purpose.VOTE_CLEAN, 0, votes);
            FiniteLogits.require(cleanLogits, sampleIds, "the clean votes");
            int[][] clean = predictions(cleanLogits);
            int[] cleanMean = meanLogitPredictions(cleanLogits);
            AttackResult r =
                    attack.run(
                            recorded == null ? model : recorded,
                            x,
                            labels,
                            sampleIds,
                            AttackContext.of(runSeed, successFraction)
                                    .withCheckpoints(checkpoints));
            NDArray advLogits =
                    model.logits(r.adversarial(), sampleIds, Purpose.VOTE_ADVERSARIAL, 0, votes);
            FiniteLogits.require(advLogits, sampleIds, "the adversarial votes");
            int[][] adv = predictions(advLogits);
            int[] advMean = meanLogitPredictions(advLogits);
            List<List<CheckpointOutcome>> atCheckpoints = checkpointVotes(r, sampleIds, x);
            boolean during = !model.judgesOnSurrogate();
            long[] cleanEvals = new long[b];
            long[] cleanFooled = new long[b];
            long[] spent =
                    during
                            ? cleanDuring(x, sampleIds, lab, r, cleanEvals, cleanFooled)
                            : new long[b];
            float[] xh = x.toType(DataType.FLOAT32, false).toFloatArray();
            float[] ah = r.adversarial().toType(DataType.FLOAT32, false).toFloatArray();
            double seconds = (System.nanoTime() - t0) / 1e9 / b;
            List<SampleOutcome> out = new ArrayList<>(b);
            for (int s = 0; s < b; s++) {
                float[] d = new float[per];
                double linf = 0;
                double l2 = 0;
                for (int i = 0; i < per; i++) {
                    d[i] = ah[s * per + i] - xh[s * per + i];
                    linf = Math.max(linf, Math.abs(d[i]));
                    l2 += (double) d[i] * d[i];
                }
                AttackTrace t = r.trace(s);
                List<String> warnings = new ArrayList<>();
                if (t.zeroGradients() > 0) {
                    warnings.add(
                            "all-zero input gradient in "
                                    + t.zeroGradients()
                                    + " of "
                                    + t.gradients()
                                    + " gradient evaluations ("
                                    + t.attack()
                                    + ")");
                }
                SampleOutcome.DuringAttack counts =
                        during
                                ? new SampleOutcome.DuringAttack(
                                        t.evaluations(),
                                        t.fooledEvaluations(),
                                        cleanEvals[s],
                                        cleanFooled[s])
                                : SampleOutcome.DuringAttack.NONE;
                out.add(
                        new SampleOutcome(
                                sampleIds[s],
                                (int) lab[s],
                                new SampleOutcome.VoteRecord(
                                        clean[s], adv[s], cleanMean[s], advMean[s]),
                                new SampleOutcome.AttackRecord(
                                        new SampleOutcome.Perturbation(d, linf, Math.sqrt(l2)),
                                        counts,
                                        t.firstSuccessIteration(),
                                        t.success() ? t.attack() : null,
                                        atCheckpoints.get(s)),
                                new SampleOutcome.Cost(
                                        t.gradients(),
                                        t.forwards(),
                                        2L * votes + spent[s],
                                        seconds),
                                new SampleOutcome.Diagnostics(
                                        mode,
                                        warnings,
                                        recorded == null
                                                ? Double.NaN
                                                : recorded.of(sampleIds[s]))));
            }
            return out;
        }
    }

    /**
     * K votes on each checkpoint's images, drawn exactly as the final adversarial votes (same
     * purpose, draw and copies), so an image equal to the returned one gets the same votes; per
     * sample, in checkpoint order.
     */
    private List<List<CheckpointOutcome>> checkpointVotes(AttackResult r, long[] ids, NDArray x) {
        int b = ids.length;
        List<List<CheckpointOutcome>> out = new ArrayList<>(b);
        for (int s = 0; s < b; s++) {
            out.add(new ArrayList<>());
        }
        boolean during = !model.judgesOnSurrogate();
        for (Checkpoint c : r.checkpoints()) {
            try (NDManager scope = NDManager.subManagerOf(x)) {
                NDArray images = HostTensors.create(scope, c.images(), x.getShape());
                NDArray logits = model.logits(images, ids, Purpose.VOTE_ADVERSARIAL, 0, votes);
                FiniteLogits.require(logits, ids, "the checkpoint votes");
                int[][] p = predictions(logits);
                for (int s = 0; s < b; s++) {
                    out.get(s)
                            .add(
                                    new CheckpointOutcome(
                                            c.iteration(),
                                            attack.checkpointIterations(),
                                            p[s],
                                            c.gradients()[s],
                                            c.forwards()[s],
                                            during
                                                    ? c.evaluations()[s]
                                                    : SampleOutcome.NOT_RECORDED,
                                            during ? c.fooled()[s] : SampleOutcome.NOT_RECORDED,
                                            c.miss()[s]));
                }
            }
        }
        return out;
    }

    /**
     * Evaluates each clean image as often as the attack evaluated it (once suffices for a
     * deterministic model).
     */
    private long[] cleanDuring(
            NDArray x, long[] ids, long[] lab, AttackResult r, long[] evals, long[] fooled) {
        int b = ids.length;
        long[] spent = new long[b];
        long[] want = new long[b];
        long most = 0;
        for (int s = 0; s < b; s++) {
            want[s] = r.trace(s).evaluations();
            if (cleanDuringCap > 0) {
                want[s] = Math.min(want[s], cleanDuringCap);
            }
            most = Math.max(most, want[s]);
        }
        if (!model.isRandomized()) {
            NDArray l = model.logits(x, ids, Purpose.VOTE_CLEAN, 1, 1);
            FiniteLogits.require(l, ids, "the clean during-attack evaluations");
            int[][] p = predictions(l);
            for (int s = 0; s < b; s++) {
                evals[s] = want[s];
                fooled[s] = p[s][0] == lab[s] ? 0 : want[s];
                spent[s] = 1;
            }
            return spent;
        }
        long done = 0;
        long draw = 1;
        while (done < most) {
            int copies = (int) Math.min(copiesPerCall, most - done);
            NDArray l = model.logits(x, ids, Purpose.VOTE_CLEAN, draw++, copies);
            FiniteLogits.require(l, ids, "the clean during-attack evaluations");
            int[][] p = predictions(l);
            for (int s = 0; s < b; s++) {
                for (int m = 0; m < copies && done + m < want[s]; m++) {
                    evals[s]++;
                    fooled[s] += p[s][m] == lab[s] ? 0 : 1;
                }
                spent[s] += copies;
            }
            done += copies;
        }
        return spent;
    }

    /** argmax of the logits averaged over the copies: the paper's BPDA metric. */
    private static int[] meanLogitPredictions(NDArray logits) {
        long[] p = logits.mean(new int[] {1}).argMax(1).toType(DataType.INT64, false).toLongArray();
        int[] out = new int[p.length];
        for (int s = 0; s < p.length; s++) {
            out[s] = (int) p[s];
        }
        return out;
    }

    private static int[][] predictions(NDArray logits) {
        int b = (int) logits.getShape().get(0);
        int copies = (int) logits.getShape().get(1);
        long[] p = logits.argMax(2).toType(DataType.INT64, false).toLongArray();
        int[][] out = new int[b][copies];
        for (int s = 0; s < b; s++) {
            for (int m = 0; m < copies; m++) {
                out[s][m] = (int) p[s * copies + m];
            }
        }
        return out;
    }
}
