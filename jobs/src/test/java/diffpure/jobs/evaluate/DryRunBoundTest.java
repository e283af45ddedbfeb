package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.attack.Attack;
import diffpure.attack.AttackContext;
import diffpure.attack.AttackResult;
import diffpure.attack.AttackTrace;
import diffpure.attack.Attacks;
import diffpure.attack.Pgd;
import diffpure.config.AttackSettings;
import diffpure.config.ExperimentConfig;
import diffpure.eval.GradientMaskingChecks;
import diffpure.experiment.Experiments;
import diffpure.gradient.AdjointGradient;
import diffpure.gradient.BpdaGradient;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.Objective;
import diffpure.gradient.StoredStatesGradient;
import diffpure.gradient.TargetModel;
import diffpure.model.PerceptualDistance;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.model.synthetic.MlpScoreModel;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.sde.VpSchedule;
import diffpure.solver.EulerMaruyama;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The dry run's per-sample counts are upper bounds of what every preset really spends: each attack
 * in {@link Attacks#NAMES}, at a small budget, on a randomized synthetic defence (10-class linear
 * classifier behind a 5-step reverse SDE, EOT 2).
 */
class DryRunBoundTest {
    private static final Shape IMG = new Shape(1, 8, 8);

    /**
     * lf's bound for these tests: the mean squared pixel difference (a test double of a perceptual
     * metric; the dry run counts purification rows, not the metric's calls).
     */
    private static final PerceptualDistance MEAN_SQUARE =
            new PerceptualDistance() {
                @Override
                public NDArray distance(NDArray a, NDArray b) {
                    return a.sub(b).square().reshape(a.getShape().get(0), -1).mean(new int[] {1});
                }

                @Override
                public Shape imageShape() {
                    return IMG;
                }

                @Override
                public String describe() {
                    return "mean square";
                }
            };

    /** The settings that give attack `name` its own threat model (StAdv's flow, lf's lpips). */
    private static void threat(String name, List<String> o, String otherEps) {
        if (name.equals("stadv")) {
            o.add("attack.norm=flow-Linf");
            o.add("attack.eps=0.05");
        } else if (name.equals("lf")) {
            o.add("attack.norm=lpips");
            o.add("attack.eps=0.001");
            o.add("model.perceptual=mean-square.pt");
        } else {
            o.add("attack.eps=" + otherEps);
        }
    }

    private static Attack build(String name, AttackSettings s) {
        return Attacks.build(s, name.equals("lf") ? MEAN_SQUARE : null);
    }

    private static final int EOT = 2;

    /**
     * The randomized synthetic defence both tests attack: 4 gray-ish 8x8 images labelled by the
     * linear classifier itself, a 5-step reverse SDE with an MLP score model.
     */
    private record Fixture(
            LinearClassifier clf, NDArray x, NDArray y, long[] ids, DiffusionPurifier purifier) {
        static Fixture of(NDManager m) {
            LinearClassifier clf = new LinearClassifier(m, IMG, 10, 7);
            float[] data = new float[4 * 64];
            GaussianNoise.fill(new NoiseKey(3, 0, Purpose.TEST, 0, 0), 0, data, 0, data.length);
            for (int i = 0; i < data.length; i++) {
                data[i] = Math.min(0.9f, Math.max(0.1f, 0.5f + 0.15f * data[i]));
            }
            NDArray x = m.create(data, new Shape(4).addAll(IMG));
            NDArray y;
            try (PtAutograd.Mode off = PtAutograd.disabled()) {
                y = clf.logits(x).argMax(1);
            }
            VpSchedule sched = VpSchedule.DEFAULT;
            DiffusionPurifier p =
                    new DiffusionPurifier(
                            new MlpScoreModel(m, IMG, 16, 2.0, 5),
                            EulerMaruyama.chain(
                                    new ReverseVpSde(sched),
                                    TimeGrid.of(0.05, 1e-5, 0.01),
                                    ForwardAlphaBar.DISCRETE.at(sched, 0.05)));
            return new Fixture(clf, x, y, new long[] {11, 12, 13, 14}, p);
        }
    }

    @Test
    void theEstimateBoundsWhatEveryPresetSpends() {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture fixture = Fixture.of(m);
            LinearClassifier clf = fixture.clf();
            NDArray x = fixture.x();
            NDArray y = fixture.y();
            long[] ids = fixture.ids();
            DiffusionPurifier p = fixture.purifier();
            List<String> checked = new ArrayList<>();
            for (String name : Attacks.NAMES) {
                // diffhammer's copies are its EOT: attack.eot = 1 and N = attack.evaluations
                int eot = name.equals("diffhammer") ? 1 : EOT;
                List<String> o =
                        new ArrayList<>(List.of("attack.name=" + name, "attack.eot=" + eot));
                if (name.equals("diffhammer")) {
                    o.add("attack.evaluations=3");
                }
                o.add("attack.iterations=" + (name.equals("square") ? 20 : 3));
                // 0.3: large enough that compositions hand few samples to Square's 5000 queries.
                threat(name, o, "0.3");
                if (name.startsWith("apgd")) {
                    o.add("attack.restarts=2");
                }
                AttackSettings s =
                        Experiments.load(null, o, Map.of(), new Properties()).config().attack();
                Attack a = build(name, s);
                DefendedModel model =
                        new DefendedModel(
                                p,
                                clf,
                                name.equals("bpda-eot")
                                        ? new BpdaGradient()
                                        : StoredStatesGradient.exact(),
                                eot,
                                0,
                                5);
                AttackResult r = a.run(model, x, y, ids, AttackContext.of(9));
                long g = DryRun.gradientRows(a, eot);
                long f = DryRun.forwardRows(a, eot);
                for (AttackTrace t : r.traces()) {
                    assertTrue(t.gradients() <= g, name + ": " + t.gradients() + " > " + g);
                    assertTrue(t.forwards() <= f, name + ": " + t.forwards() + " > " + f);
                }
                if (name.startsWith("pgd-eot") || name.equals("bpda-eot") || name.equals("stadv")) {
                    // No early stop: the bound is exact.
                    for (AttackTrace t : r.traces()) {
                        assertEquals(g, t.gradients(), name);
                        assertEquals(f, t.forwards(), name);
                    }
                }
                checked.add(name);
            }
            assertEquals(Attacks.NAMES, checked);
            // autoattack-rand re-evaluated: R classifications per candidate image, counted too
            Attack reEvaluated =
                    Attacks.build(
                            Experiments.load(
                                            null,
                                            List.of(
                                                    "attack.name=autoattack-rand",
                                                    "attack.eot=" + EOT,
                                                    "attack.iterations=3",
                                                    "attack.eps=0.3",
                                                    "attack.re-evaluations=4"),
                                            Map.of(),
                                            new Properties())
                                    .config()
                                    .attack());
            AttackResult r =
                    reEvaluated.run(
                            new DefendedModel(p, clf, StoredStatesGradient.exact(), EOT, 0, 5),
                            x,
                            y,
                            ids,
                            AttackContext.of(9));
            for (AttackTrace t : r.traces()) {
                assertTrue(t.gradients() <= DryRun.gradientRows(reEvaluated, EOT));
                assertTrue(t.forwards() <= DryRun.forwardRows(reEvaluated, EOT));
                assertTrue(t.forwards() >= 4, "the clean image's 4 classifications");
            }
        }
    }

    /** Counts, per sample id, the rows of every call the gradient-masking checks make. */
    private static final class Counting implements TargetModel {
        final TargetModel model;
        final Map<Long, Long> gradientRows;
        final Map<Long, Long> forwardRows;

        Counting(TargetModel model) {
            this(model, new java.util.HashMap<>(), new java.util.HashMap<>());
        }

        private Counting(
                TargetModel model, Map<Long, Long> gradientRows, Map<Long, Long> forwardRows) {
            this.model = model;
            this.gradientRows = gradientRows;
            this.forwardRows = forwardRows;
        }

        /** The counted model with DiffAttack's term, counting into the same tallies. */
        @Override
        public TargetModel withDeviation(diffpure.gradient.DeviationLoss d) {
            return d.isOff()
                    ? this
                    : new Counting(model.withDeviation(d), gradientRows, forwardRows);
        }

        @Override
        public Evaluation lossAndGradient(
                NDArray x,
                NDArray labels,
                long[] sampleIds,
                Objective objective,
                Purpose purpose,
                long draw) {
            for (long id : sampleIds) {
                gradientRows.merge(id, (long) model.eot(), Long::sum);
            }
            return model.lossAndGradient(x, labels, sampleIds, objective, purpose, draw);
        }

        @Override
        public NDArray logits(NDArray x, long[] sampleIds, Purpose purpose, long draw, int copies) {
            for (long id : sampleIds) {
                forwardRows.merge(id, (long) copies, Long::sum);
            }
            return model.logits(x, sampleIds, purpose, draw, copies);
        }

        @Override
        public int classes() {
            return model.classes();
        }

        @Override
        public int eot() {
            return model.eot();
        }

        @Override
        public boolean isRandomized() {
            return model.isRandomized();
        }

        @Override
        public String describe() {
            return model.describe();
        }
    }

    @Test
    void theEstimateBoundsWhatTheGradientMaskingChecksSpend() {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture fixture = Fixture.of(m);
            LinearClassifier clf = fixture.clf();
            NDArray x = fixture.x();
            NDArray y = fixture.y();
            long[] ids = fixture.ids();
            DiffusionPurifier p = fixture.purifier();
            DefendedModel exact =
                    new DefendedModel(p, clf, StoredStatesGradient.exact(), EOT, 0, 5);
            DefendedModel adjoint = new DefendedModel(p, clf, new AdjointGradient(), EOT, 0, 5);
            for (String name : Attacks.NAMES) {
                if (name.equals("diffhammer")) {
                    // it replays the defended model's draws, which the counting wrapper hides;
                    // its bound is checked in the test above
                    continue;
                }
                List<String> o =
                        new ArrayList<>(
                                List.of(
                                        "attack.name=" + name,
                                        "attack.eot=" + EOT,
                                        "sanity.subset=4",
                                        "sanity.square-queries=6"));
                o.add("attack.iterations=" + (name.equals("square") ? 10 : 2));
                threat(name, o, "0.3");
                ExperimentConfig c = Experiments.load(null, o, Map.of(), new Properties()).config();
                Attack a = build(name, c.attack());
                if (a instanceof Pgd pgd && !pgd.requiredGradientMode().isEmpty()) {
                    // BPDA+EOT asks for a DefendedModel in bpda mode; its budget is the same in
                    // any mode, and the counter wraps the model.
                    a =
                            new Pgd(
                                    pgd.name(),
                                    pgd.threat(),
                                    pgd.iterations(),
                                    pgd.step(),
                                    pgd.stepScale(),
                                    pgd.rule(),
                                    pgd.start(),
                                    "");
                }
                GradientMaskingChecks checks = GradientMaskingChecks.of(c.sanity(), a.threat());
                // diffattack's term needs stored states: the config refuses it with adjoint
                for (DefendedModel model :
                        name.equals("diffattack") ? List.of(exact) : List.of(exact, adjoint)) {
                    boolean isAdjoint = model == adjoint;
                    Counting counted = new Counting(model);
                    GradientMaskingChecks.Report r = checks.report(counted, a, x, y, ids, 3);
                    if (isAdjoint) {
                        r.withAdjoint(
                                checks.adjointAgreement(
                                        counted, new Counting(exact), "exact", x, y, ids, 3));
                        // the exact twin's calls are counted on the run's side: add them
                        for (long id : ids) {
                            counted.gradientRows.merge(id, (long) EOT, Long::sum);
                        }
                    }
                    long[] bound = DryRun.sanityRows(a, EOT, c.sanity(), isAdjoint);
                    for (long id : ids) {
                        long g = counted.gradientRows.getOrDefault(id, 0L);
                        long f = counted.forwardRows.getOrDefault(id, 0L);
                        assertTrue(
                                g <= bound[0],
                                name + ": " + g + " > " + bound[0] + " gradient rows");
                        assertTrue(
                                f <= bound[1],
                                name + ": " + f + " > " + bound[1] + " forward rows");
                        if (name.startsWith("pgd-eot") || name.equals("bpda-eot")) {
                            // PGD stops early nowhere: its gradient bound is exact (Square's
                            // queries may stop on a broken sample).
                            assertEquals(bound[0], g, name);
                        }
                    }
                }
            }
        }
    }
}
