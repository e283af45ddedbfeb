package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.gradient.DeviationLoss;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import diffpure.torch.HostTensors;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.List;

/**
 * Attacks run one after another, AutoAttack style: each member runs only on the samples every
 * earlier member failed on, starting from the clean image. A member broke a sample when one of its
 * evaluations met the context's success rule over all its EOT copies (AutoAttack decides on one
 * fresh draw, which on a randomized defence hands samples on by chance). A sample is robust only if
 * every member fails. The returned image is the best of the members' returned images (fewest copies
 * missing the goal; ties to the earlier member), so a broken sample keeps the breaking member's
 * image.
 *
 * <p>With {@link #reEvaluations} R &gt; 0 it is instead the re-evaluated AutoAttack of Liu et al.
 * (ICLR 2025), as their released code (LYMDLUT/ADDT, {@code Fixed-AutoAttack/autoattack/
 * autoattack.py}) runs it: each sample's stored share starts at the clean image's share of correct
 * classifications over R fresh draws; each member attacks, from the clean image, every sample whose
 * stored share is above 0 (whatever earlier members did); its returned image is classified R fresh
 * times and replaces the stored image only if its share is strictly lower. The returned image is
 * the stored one and {@link AttackResult#reEvaluatedShares} its share. ADDT reports the mean of the
 * shares (its code averages; its paper is read by others as a worst case): that is the figure we
 * report too, so it can be compared with theirs, and it is biased low, since the same draws select
 * the image and score it; the final K votes (fresh draws of the returned image) stand beside it.
 * Budget checkpoints are not recorded in this mode.
 *
 * @param name name in result rows, e.g. "autoattack-standard"
 * @param members the attacks in order, all with the same threat model
 * @param reEvaluations R, the classifications each candidate image is judged on
 *     (attack.re-evaluations); 0 for the success rule above
 */
public record Composition(String name, List<Attack> members, int reEvaluations) implements Attack {
    /** A composition handing samples on by the success rule. */
    public Composition(String name, List<Attack> members) {
        this(name, members, 0);
    }

    public Composition {
        members = List.copyOf(members);
        if (members.isEmpty()) {
            throw new IllegalArgumentException(name + ": a composition needs at least one attack");
        }
        if (reEvaluations < 0) {
            throw new IllegalArgumentException(
                    "attack.re-evaluations must be >= 0 (0: off), found " + reEvaluations);
        }
        ThreatModel t = members.get(0).threat();
        // The final re-check of returned images needs a ball on the image.
        t.requireImageBall(name);
        for (Attack a : members) {
            if (!a.threat().equals(t)) {
                throw new IllegalArgumentException(
                        name
                                + ": every attack must use "
                                + t
                                + ", "
                                + a.name()
                                + " uses "
                                + a.threat());
            }
        }
    }

    /**
     * AutoAttack {@code standard}: APGD-CE (1 restart), APGD-T (9 targets), FAB-T (9 targets),
     * Square (5000 queries), each 100 iterations; the official code runs it with EOT 1.
     */
    public static Composition autoAttackStandard(ThreatModel threat) {
        return new Composition(
                "autoattack-standard",
                List.of(
                        Apgd.ce(threat),
                        Apgd.targeted(threat),
                        FabTargeted.standard(threat),
                        Square.standard(threat)));
    }

    /**
     * AutoAttack {@code rand}: APGD-CE and APGD-DLR, 100 iterations, 1 restart; the official code
     * averages 20 EOT gradients (build the {@link TargetModel} with EOT 20).
     */
    public static Composition autoAttackRand(ThreatModel threat) {
        return new Composition("autoattack-rand", List.of(Apgd.ce(threat), Apgd.dlr(threat)));
    }

    /**
     * DiffAttack (Kang et al., NeurIPS 2023) as DiffBreak reimplements it: APGD-CE then APGD-DLR
     * (AutoAttack's schedule, 100 iterations; build the model with EOT 20) maximising the
     * classification loss plus the deviated-reconstruction term ({@link DeviationLoss}). With the
     * term off, {@code autoattack-rand} bit for bit.
     */
    public static Composition diffAttack(ThreatModel threat, DeviationLoss deviation) {
        return new Composition(
                "diffattack",
                List.of(
                        Apgd.ce(threat).withDeviation(deviation),
                        Apgd.dlr(threat).withDeviation(deviation)));
    }

    /** The same members judged by R re-evaluations per candidate image (0: the success rule). */
    public Composition withReEvaluations(int r) {
        return new Composition(name, members, r);
    }

    /** The EOT the published {@code rand} version uses. */
    public static final int RAND_EOT = 20;

    @Override
    public ThreatModel threat() {
        return members.get(0).threat();
    }

    /**
     * The iteration budget of the members that iterate (every member but Square, whose budget is
     * queries); Square's queries when it is the only member.
     */
    @Override
    public int iterations() {
        return members.stream()
                .filter(a -> !(a instanceof Square))
                .mapToInt(Attack::iterations)
                .max()
                .orElseGet(() -> members.get(0).iterations());
    }

    @Override
    public Composition withEps(double eps) {
        return new Composition(
                name, members.stream().map(a -> a.withEps(eps)).toList(), reEvaluations);
    }

    /**
     * Every iterating member with the given budget; Square keeps its query budget (5000 queries are
     * not 100 iterations). A composition of Square alone takes n as its queries.
     */
    @Override
    public Composition withIterations(int n) {
        boolean onlySquare = members.stream().allMatch(a -> a instanceof Square);
        return new Composition(
                name,
                members.stream()
                        .map(a -> a instanceof Square && !onlySquare ? a : a.withIterations(n))
                        .toList(),
                reEvaluations);
    }

    /** Checkpoints count the members' iterations one after another. */
    @Override
    public long checkpointIterations() {
        return members.stream().mapToLong(Attack::checkpointIterations).sum();
    }

    /** Every member records them, and the composition hands samples on by the success rule. */
    @Override
    public boolean recordsCheckpoints() {
        return reEvaluations == 0 && members.stream().allMatch(Attack::recordsCheckpoints);
    }

    @Override
    public void requireCompatible(TargetModel model) {
        if (reEvaluations > 0 && model.judgesOnSurrogate()) {
            // its stored shares are the figure: they must be the defence's own draws
            throw new IllegalArgumentException(
                    name
                            + ": attack.re-evaluations = "
                            + reEvaluations
                            + " judges candidates on the defence; it cannot run with"
                            + " attack.surrogate-evaluation = checkpoints");
        }
        members.forEach(a -> a.requireCompatible(model));
    }

    @Override
    public void requireClassCount(int classes) {
        members.forEach(a -> a.requireClassCount(classes));
    }

    @Override
    public AttackResult run(
            TargetModel model, NDArray x, NDArray labels, long[] sampleIds, AttackContext context) {
        requireCompatible(model);
        if (reEvaluations > 0) {
            return runReEvaluated(model, x, labels, sampleIds, context);
        }
        int b = (int) x.getShape().get(0);
        int per = (int) x.getShape().slice(1).size();
        long[] lab = Tensors.hostLong(labels);
        float[] xh = Tensors.host(x);
        float[] out = xh.clone();
        AttackTrace[] traces = new AttackTrace[b];
        BudgetCheckpoints cps = context.checkpoints();
        cps.requireRecordedBy(this);
        // The composition's state at each checkpoint, once a member has reached it.
        Checkpoint[] cpState = new Checkpoint[cps.at().size()];
        long spent = 0;
        for (int j = 0; j < members.size(); j++) {
            Attack a = members.get(j);
            long start = spent;
            spent += a.checkpointIterations();
            // A sample is handed on only when a member broke it by the success rule, over all the
            // EOT copies of an evaluation; never on one fresh draw.
            boolean[] todo = new boolean[b];
            for (int s = 0; s < b; s++) {
                todo[s] = traces[s] == null || !traces[s].success();
            }
            int[] idx = Tensors.indicesOf(todo);
            if (idx.length == 0) {
                break;
            }
            AttackContext child = context.child(j).withCheckpoints(cps.after(start));
            try (NDManager scope = NDManager.subManagerOf(x)) {
                scope.tempAttachAll(x, labels);
                NDArray xs = Tensors.rows(x, idx, scope);
                NDArray ls = HostTensors.create(scope, Tensors.select(lab, idx));
                long[] ids = Tensors.select(sampleIds, idx);
                AttackResult r = a.run(model, xs, ls, ids, child);
                float[] adv = Tensors.host(r.adversarial());
                if (cps.active()) {
                    mergeCheckpoints(r.checkpoints(), idx, out, traces, cpState, per);
                }
                for (int i = 0; i < idx.length; i++) {
                    int s = idx[i];
                    AttackTrace t = r.trace(i);
                    // The returned image: the member's with fewer copies missing the goal; on a
                    // tie (or without an evaluation) the earlier member's.
                    boolean better =
                            traces[s] == null
                                    || !Double.isNaN(t.returnedMiss())
                                            && (Double.isNaN(traces[s].returnedMiss())
                                                    || t.returnedMiss() < traces[s].returnedMiss());
                    if (better) {
                        System.arraycopy(adv, i * per, out, s * per, per);
                    }
                    if (traces[s] == null) {
                        traces[s] = t;
                    } else {
                        traces[s] =
                                traces[s].then(
                                        t,
                                        better ? t.attack() : traces[s].attack(),
                                        t.success(),
                                        t.success() ? firstIteration(t) : -1,
                                        better ? t.returnedMiss() : traces[s].returnedMiss());
                    }
                }
            }
        }
        List<AttackTrace> list = new ArrayList<>(b);
        for (AttackTrace t : traces) {
            list.add(t);
        }
        double[] dist = threat().check(xh, out, b, name);
        List<Checkpoint> checkpoints = new ArrayList<>();
        for (int c = 0; c < cpState.length; c++) {
            if (cps.at().get(c) >= cps.offset()) {
                checkpoints.add(cpState[c]);
            }
        }
        try (NDManager scope = NDManager.subManagerOf(x)) {
            NDArray adv = HostTensors.create(scope, out, x.getShape());
            return new AttackResult(scope.ret(adv), list, dist, checkpoints);
        }
    }

    /** The re-evaluated rule of the class comment (R = reEvaluations). */
    private AttackResult runReEvaluated(
            TargetModel model, NDArray x, NDArray labels, long[] sampleIds, AttackContext context) {
        context.checkpoints().requireRecordedBy(this);
        int b = (int) x.getShape().get(0);
        int per = (int) x.getShape().slice(1).size();
        long[] lab = Tensors.hostLong(labels);
        float[] xh = Tensors.host(x);
        float[] out = xh.clone();
        // The composition's own stage draws the classifications (its members draw in child
        // stages): draw 0 for the clean image, draw j + 1 for member j's returned images.
        double[] share = shares(model, x, sampleIds, lab, context.draw(0));
        AttackTrace[] traces = new AttackTrace[b];
        for (int s = 0; s < b; s++) {
            traces[s] =
                    new AttackTrace(
                            members.get(0).name(),
                            false,
                            -1,
                            0,
                            reEvaluations,
                            0,
                            0,
                            0,
                            Double.NaN);
        }
        for (int j = 0; j < members.size(); j++) {
            Attack a = members.get(j);
            boolean[] todo = new boolean[b];
            for (int s = 0; s < b; s++) {
                todo[s] = share[s] > 0;
            }
            int[] idx = Tensors.indicesOf(todo);
            if (idx.length == 0) {
                break;
            }
            try (NDManager scope = NDManager.subManagerOf(x)) {
                scope.tempAttachAll(x, labels);
                NDArray xs = Tensors.rows(x, idx, scope);
                long[] ls = Tensors.select(lab, idx);
                long[] ids = Tensors.select(sampleIds, idx);
                AttackResult r =
                        a.run(model, xs, HostTensors.create(scope, ls), ids, context.child(j));
                double[] now = shares(model, r.adversarial(), ids, ls, context.draw(j + 1L));
                float[] adv = Tensors.host(r.adversarial());
                for (int i = 0; i < idx.length; i++) {
                    int s = idx[i];
                    AttackTrace before = traces[s];
                    AttackTrace t = r.trace(i);
                    boolean lower = now[i] < share[s];
                    if (lower) {
                        System.arraycopy(adv, i * per, out, s * per, per);
                        share[s] = now[i];
                    }
                    boolean success = before.success() || t.success();
                    String by =
                            before.success()
                                    ? before.attack()
                                    : t.success() || lower ? t.attack() : before.attack();
                    AttackTrace spent =
                            new AttackTrace(
                                    t.attack(),
                                    t.success(),
                                    t.firstSuccessIteration(),
                                    t.gradients(),
                                    t.forwards() + reEvaluations,
                                    t.evaluations(),
                                    t.fooledEvaluations(),
                                    t.zeroGradients(),
                                    t.returnedMiss());
                    traces[s] =
                            before.then(
                                    spent,
                                    by,
                                    success,
                                    before.success()
                                            ? before.firstSuccessIteration()
                                            : t.success() ? firstIteration(t) : -1,
                                    lower ? t.returnedMiss() : before.returnedMiss());
                }
            }
        }
        double[] dist = threat().check(xh, out, b, name);
        try (NDManager scope = NDManager.subManagerOf(x)) {
            NDArray adv = HostTensors.create(scope, out, x.getShape());
            return new AttackResult(scope.ret(adv), List.of(traces), dist, List.of(), share);
        }
    }

    /**
     * Each image's share of correct classifications over R fresh draws (copies 0 .. R-1 of one
     * draw), the rule ADDT's code applies: correct = the argmax is the label.
     */
    private double[] shares(TargetModel model, NDArray images, long[] ids, long[] lab, long draw) {
        int b = ids.length;
        long[] pred;
        try (PtAutograd.Mode noGrad = PtAutograd.disabled();
                NDManager scope = NDManager.subManagerOf(images)) {
            NDArray logits = model.logits(images, ids, Purpose.PURIFY, draw, reEvaluations);
            logits.attach(scope);
            pred =
                    logits.argMax(2)
                            .toType(ai.djl.ndarray.types.DataType.INT64, false)
                            .toLongArray();
        }
        double[] out = new double[b];
        for (int s = 0; s < b; s++) {
            int correct = 0;
            for (int m = 0; m < reEvaluations; m++) {
                correct += pred[s * reEvaluations + m] == lab[s] ? 1 : 0;
            }
            out[s] = (double) correct / reEvaluations;
        }
        return out;
    }

    /**
     * Folds member j's checkpoints (its rows idx) into the composition's: at each checkpoint the
     * member reached, a row takes the member's image by the same rule as the returned image (fewer
     * copies missing the goal than the earlier members' returned image; ties to the earlier) and
     * counts what every earlier member spent plus what this one had by then; rows the member did
     * not run keep the earlier members' final state. Called before the member's own result is
     * folded into {@code out} and {@code traces}, which still hold the earlier members' state.
     */
    private static void mergeCheckpoints(
            List<Checkpoint> member,
            int[] idx,
            float[] out,
            AttackTrace[] traces,
            Checkpoint[] cpState,
            int per) {
        int b = traces.length;
        for (Checkpoint m : member) {
            int c = indexOf(cpState, m.iteration(), member);
            float[] images = out.clone();
            double[] miss = new double[b];
            long[] g = new long[b];
            long[] f = new long[b];
            long[] e = new long[b];
            long[] fo = new long[b];
            for (int s = 0; s < b; s++) {
                AttackTrace t = traces[s];
                miss[s] = t == null ? Double.NaN : t.returnedMiss();
                g[s] = t == null ? 0 : t.gradients();
                f[s] = t == null ? 0 : t.forwards();
                e[s] = t == null ? 0 : t.evaluations();
                fo[s] = t == null ? 0 : t.fooledEvaluations();
            }
            for (int i = 0; i < idx.length; i++) {
                int s = idx[i];
                AttackTrace before = traces[s];
                double mm = m.miss()[i];
                boolean better =
                        before == null
                                || !Double.isNaN(mm)
                                        && (Double.isNaN(before.returnedMiss())
                                                || mm < before.returnedMiss());
                if (better) {
                    System.arraycopy(m.images(), i * per, images, s * per, per);
                    miss[s] = mm;
                }
                g[s] += m.gradients()[i];
                f[s] += m.forwards()[i];
                e[s] += m.evaluations()[i];
                fo[s] += m.fooled()[i];
            }
            cpState[c] = new Checkpoint(m.iteration(), images, miss, g, f, e, fo);
        }
    }

    private static int indexOf(Checkpoint[] state, int iteration, List<Checkpoint> member) {
        // Checkpoints come in the context's order; a member returns those at or after its start.
        int first = state.length - member.size();
        for (int c = 0; c < member.size(); c++) {
            if (member.get(c).iteration() == iteration) {
                return first + c;
            }
        }
        throw new IllegalStateException("checkpoint " + iteration + " not in the member's list");
    }

    private static int firstIteration(AttackTrace t) {
        return Math.max(t.firstSuccessIteration(), 0);
    }
}
