package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.attack.Apgd;
import diffpure.attack.Attack;
import diffpure.attack.Attacks;
import diffpure.attack.Composition;
import diffpure.attack.Pgd;
import diffpure.attack.Square;
import diffpure.experiment.Experiments;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Every attack and purifier setting is honoured or refused naming its key; rows say what ran. */
class SettingsAtTheEdgeTest {
    private static Attack build(String... overrides) {
        return Attacks.build(config(overrides).attack());
    }

    private static ExperimentConfig config(String... overrides) {
        return Experiments.load(null, List.of(overrides), Map.of(), new Properties()).config();
    }

    /** Asserts that the overrides are refused with a message starting with {@code expected}. */
    private static void refused(String expected, String... overrides) {
        String m = assertThrows(ConfigError.class, () -> build(overrides)).getMessage();
        assertTrue(m.startsWith(expected), m);
    }

    @Test
    void pgdEotSignHonoursTheStep() {
        Pgd p = (Pgd) build("attack.name=pgd-eot-sign", "attack.eps=0.1", "attack.step=0.01");
        assertEquals(0.01, p.stepLength(), 0.0);
        Pgd preset = (Pgd) build("attack.name=pgd-eot-sign", "attack.eps=0.1");
        assertEquals(0.025, preset.stepLength(), 1e-15);
    }

    @Test
    void settingsAnAttackWouldIgnoreAreRefusedNamingTheKey() {
        refused(
                "attack.norm must be Linf for bpda-eot (DiffPure's BPDA+EOT is Linf), found 'L2'",
                "attack.name=bpda-eot",
                "attack.norm=L2");
        refused(
                "attack.norm must be flow-Linf for stadv (a flow bound), found 'Linf'",
                "attack.name=stadv",
                "attack.norm=Linf",
                "attack.eps=0.05");
        refused(
                "attack.norm flow-Linf is for stadv only, found attack.name 'apgd-ce'",
                "attack.name=apgd-ce",
                "attack.norm=flow-Linf");
        refused(
                "attack.restarts must be 1 for square (only apgd-ce, apgd-dlr and apgd-t restart),"
                        + " found 3",
                "attack.name=square",
                "attack.restarts=3");
        refused(
                "attack.restarts must be 1 for autoattack-rand (only apgd-ce, apgd-dlr and apgd-t"
                        + " restart), found 2",
                "attack.name=autoattack-rand",
                "attack.restarts=2");
        refused(
                "attack.step is for pgd-eot, pgd-eot-sign and bpda-eot (their step length); apgd-ce"
                        + " sets its own, found attack.step = 0.01",
                "attack.name=apgd-ce",
                "attack.step=0.01");
        Apgd restarted = (Apgd) build("attack.name=apgd-dlr", "attack.restarts=3");
        assertEquals(3, restarted.restarts());
    }

    @Test
    void iterationsOnACompositionLeaveSquaresQueries() {
        Composition c =
                (Composition) build("attack.name=autoattack-standard", "attack.iterations=10");
        for (Attack a : c.members()) {
            assertEquals(a instanceof Square ? 5000 : 10, a.iterations(), a.name());
        }
        assertEquals(10, c.iterations(), "the rows' iterations: the iterating members' budget");
    }

    @Test
    void aDdpmPurifierRecordsTheTimeAndStepItUses() {
        PurifySettings p = config("purify.kind=ddpm", "purify.ddpm-steps=500").purify();
        assertEquals(0.5, p.tStarUsed(), 0.0);
        assertEquals(1e-3, p.dtUsed(), 0.0);
        PurifySettings sde = config("purify.t-star=0.05", "purify.dt=2e-3").purify();
        assertEquals(0.05, sde.tStarUsed(), 0.0);
        assertEquals(2e-3, sde.dtUsed(), 0.0);
    }
}
