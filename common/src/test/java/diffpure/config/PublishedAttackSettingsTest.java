package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.attack.Apgd;
import diffpure.attack.Attacks;
import diffpure.attack.Composition;
import diffpure.experiment.Experiments;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * attack.deviation-weight, attack.deviation-steps (diffattack) and attack.re-evaluations
 * (autoattack-rand): read by their attack only, refused by name elsewhere, part of the config hash
 * only where they act.
 */
class PublishedAttackSettingsTest {
    private static ExperimentConfig config(String... overrides) {
        return Experiments.load(null, List.of(overrides), Map.of(), new Properties()).config();
    }

    private static void refused(String expected, String... overrides) {
        String m = assertThrows(ConfigError.class, () -> config(overrides)).getMessage();
        assertTrue(m.startsWith(expected), m);
    }

    @Test
    void diffAttackReadsTheDeviationKeysWithDiffBreaksWeightByDefault() {
        Composition c = (Composition) Attacks.build(config("attack.name=diffattack").attack());
        assertEquals("diffattack", c.name());
        Apgd ce = (Apgd) c.members().get(0);
        Apgd dlr = (Apgd) c.members().get(1);
        assertEquals(Apgd.ApgdLoss.CE, ce.loss());
        assertEquals(Apgd.ApgdLoss.DLR, dlr.loss());
        assertEquals(100, ce.iterations());
        assertEquals(1.0, ce.deviation().weight());
        assertEquals(0, ce.deviation().steps());
        Composition sampled =
                (Composition)
                        Attacks.build(
                                config(
                                                "attack.name=diffattack",
                                                "attack.deviation-weight=0.1",
                                                "attack.deviation-steps=5")
                                        .attack());
        assertEquals(0.1, ((Apgd) sampled.members().get(1)).deviation().weight());
        assertEquals(5, ((Apgd) sampled.members().get(1)).deviation().steps());
    }

    @Test
    void theKeysAreHashedOnlyWhereTheyAct() {
        String plain = config("attack.name=apgd-ce").configHash();
        assertEquals(
                plain,
                config(
                                "attack.name=apgd-ce",
                                "attack.deviation-weight=1",
                                "attack.re-evaluations=0")
                        .configHash());
        String diff = config("attack.name=diffattack").configHash();
        assertNotEquals(
                diff, config("attack.name=diffattack", "attack.deviation-weight=2").configHash());
        assertNotEquals(
                diff, config("attack.name=diffattack", "attack.deviation-steps=3").configHash());
        String rand = config("attack.name=autoattack-rand").configHash();
        assertNotEquals(
                rand,
                config("attack.name=autoattack-rand", "attack.re-evaluations=20").configHash());
        Composition reEvaluated =
                (Composition)
                        Attacks.build(
                                config("attack.name=autoattack-rand", "attack.re-evaluations=20")
                                        .attack());
        assertEquals(20, reEvaluated.reEvaluations());
    }

    @Test
    void otherAttacksRefuseTheKeysByName() {
        refused(
                "attack.deviation-weight and attack.deviation-steps are read by attack.name ="
                        + " diffattack only",
                "attack.name=apgd-ce",
                "attack.deviation-weight=0.5");
        refused(
                "attack.deviation-weight and attack.deviation-steps are read by attack.name ="
                        + " diffattack only",
                "attack.name=autoattack-rand",
                "attack.deviation-steps=4");
        refused(
                "attack.re-evaluations is for attack.name = autoattack-rand only",
                "attack.name=diffattack",
                "attack.re-evaluations=20");
        refused(
                "attack.deviation-weight must be a finite number >= 0",
                "attack.name=diffattack",
                "attack.deviation-weight=-1");
        refused(
                "attack.deviation-weight = 1.0 needs a gradient mode that walks the chain's stored"
                        + " states back",
                "attack.name=diffattack",
                "attack.gradient-mode=adjoint");
        refused(
                "attack.deviation-weight = 1.0 needs a gradient mode",
                "attack.name=diffattack",
                "attack.gradient-mode=bpda");
    }
}
