package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.gradient.TargetModel;
import diffpure.torch.HostTensors;
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
 * @param name name in result rows, e.g. "autoattack-standard"
 * @param members the attacks in order, all with the same threat model
 */
public record Composition(String name, List<Attack> members) implements Attack {
    public Composition {
        members = List.copyOf(members);
        if (members.isEmpty()) {
            throw new IllegalArgumentException(name + ": a composition needs at least one attack");
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
        return new Composition(name, members.stream().map(a -> a.withEps(eps)).toList());
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
                        .toList());
    }

    @Override
    public void requireCompatible(TargetModel model) {
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
        int b = (int) x.getShape().get(0);
        int per = (int) x.getShape().slice(1).size();
        long[] lab = Tensors.hostLong(labels);
        float[] xh = Tensors.host(x);
        float[] out = xh.clone();
        AttackTrace[] traces = new AttackTrace[b];
        for (int j = 0; j < members.size(); j++) {
            Attack a = members.get(j);
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
            AttackContext child = context.child(j);
            try (NDManager scope = NDManager.subManagerOf(x)) {
                scope.tempAttachAll(x, labels);
                NDArray xs = Tensors.rows(x, idx, scope);
                NDArray ls = HostTensors.create(scope, Tensors.select(lab, idx));
                long[] ids = Tensors.select(sampleIds, idx);
                AttackResult r = a.run(model, xs, ls, ids, child);
                float[] adv = Tensors.host(r.adversarial());
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
        try (NDManager scope = NDManager.subManagerOf(x)) {
            NDArray adv = HostTensors.create(scope, out, x.getShape());
            return new AttackResult(scope.ret(adv), list, dist);
        }
    }

    private static int firstIteration(AttackTrace t) {
        return Math.max(t.firstSuccessIteration(), 0);
    }
}
