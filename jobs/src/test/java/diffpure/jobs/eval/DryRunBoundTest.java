package diffpure.jobs.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.attack.Attack;
import diffpure.attack.AttackContext;
import diffpure.attack.AttackResult;
import diffpure.attack.AttackTrace;
import diffpure.config.AttackSettings;
import diffpure.config.ConfigLoader;
import diffpure.gradient.BpdaGradient;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.StoredStatesGradient;
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
 * in {@link AttackSettings#NAMES}, at a small budget, on a randomized synthetic defence (10-class
 * linear classifier behind a 5-step reverse SDE, EOT 2).
 */
class DryRunBoundTest {
    private static final Shape IMG = new Shape(1, 8, 8);
    private static final int EOT = 2;

    @Test
    void theEstimateBoundsWhatEveryPresetSpends() {
        try (NDManager m = NDManager.newBaseManager()) {
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
            long[] ids = {11, 12, 13, 14};
            VpSchedule sched = VpSchedule.DEFAULT;
            DiffusionPurifier p =
                    new DiffusionPurifier(
                            new MlpScoreModel(m, IMG, 16, 2.0, 5),
                            EulerMaruyama.chain(
                                    new ReverseVpSde(sched),
                                    TimeGrid.of(0.05, 1e-5, 0.01),
                                    ForwardAlphaBar.DISCRETE.at(sched, 0.05)));
            List<String> checked = new ArrayList<>();
            for (String name : AttackSettings.NAMES) {
                List<String> o =
                        new ArrayList<>(List.of("attack.name=" + name, "attack.eot=" + EOT));
                o.add("attack.iterations=" + (name.equals("square") ? 20 : 3));
                if (name.equals("stadv")) {
                    o.add("attack.norm=flow-Linf");
                    o.add("attack.eps=0.05");
                } else {
                    // Large enough that compositions hand few samples to Square's 5000 queries.
                    o.add("attack.eps=0.3");
                }
                if (name.startsWith("apgd")) {
                    o.add("attack.restarts=2");
                }
                AttackSettings s =
                        ConfigLoader.load(null, o, Map.of(), new Properties()).config().attack();
                Attack a = s.build();
                DefendedModel model =
                        new DefendedModel(
                                p,
                                clf,
                                name.equals("bpda-eot")
                                        ? new BpdaGradient()
                                        : StoredStatesGradient.exact(),
                                EOT,
                                0,
                                5);
                AttackResult r = a.run(model, x, y, ids, AttackContext.of(9));
                long g = DryRun.gradientRows(a, EOT);
                long f = DryRun.forwardRows(a, EOT);
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
            assertEquals(AttackSettings.NAMES, checked);
        }
    }
}
