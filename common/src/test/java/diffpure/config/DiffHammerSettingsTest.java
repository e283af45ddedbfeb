package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.attack.Attacks;
import diffpure.attack.DiffHammer;
import diffpure.experiment.Experiments;
import diffpure.gradient.GradientGrafting;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * attack.name = diffhammer with attack.evaluations and attack.grafting: read by diffhammer only,
 * refused by name elsewhere, hashed only when set; the settings it cannot honour refused by name.
 */
class DiffHammerSettingsTest {
    private static ExperimentConfig config(String... overrides) {
        return Experiments.load(null, List.of(overrides), Map.of(), new Properties()).config();
    }

    private static void refused(String expected, String... overrides) {
        String m = assertThrows(ConfigError.class, () -> config(overrides)).getMessage();
        assertTrue(m.startsWith(expected), m);
    }

    @Test
    void theOfficialAttackByDefault() {
        DiffHammer h =
                (DiffHammer)
                        Attacks.build(config("attack.name=diffhammer", "attack.eot=1").attack());
        assertEquals(50, h.iterations());
        assertEquals(10, h.evaluations());
        assertEquals(DiffHammer.OFFICIAL_LOSSES, h.losses());
        assertEquals(GradientGrafting.States.COARSE, h.grafting());
        assertEquals(DiffHammer.Steering.OFFICIAL, h.steering());
        assertEquals(0.5, h.restartThreshold());
        DiffHammer authors =
                (DiffHammer)
                        Attacks.build(
                                config(
                                                "attack.name=diffhammer",
                                                "attack.eot=1",
                                                "attack.evaluations=4",
                                                "attack.grafting=authors",
                                                "attack.iterations=20")
                                        .attack());
        assertEquals(4, authors.evaluations());
        assertEquals(20, authors.iterations());
        assertEquals(GradientGrafting.States.AUTHORS, authors.grafting());
    }

    @Test
    void theKeysAreHashedOnlyWhenSet() {
        assertEquals(
                config("attack.name=apgd-ce").configHash(),
                config("attack.name=apgd-ce", "attack.evaluations=0", "attack.grafting=coarse")
                        .configHash());
        String h = config("attack.name=diffhammer", "attack.eot=1").configHash();
        assertNotEquals(
                h,
                config("attack.name=diffhammer", "attack.eot=1", "attack.grafting=authors")
                        .configHash());
        assertNotEquals(
                h,
                config("attack.name=diffhammer", "attack.eot=1", "attack.evaluations=5")
                        .configHash());
    }

    @Test
    void whatItCannotHonourIsRefusedByName() {
        refused(
                "attack.evaluations and attack.grafting are read by attack.name = diffhammer only",
                "attack.name=apgd-ce",
                "attack.grafting=authors");
        refused("attack.eot must be 1 for diffhammer", "attack.name=diffhammer");
        refused(
                "attack.gradient-mode must be exact, auto (grafting on the defence's grid) or"
                        + " surrogate",
                "attack.name=diffhammer",
                "attack.eot=1",
                "attack.gradient-mode=adjoint");
        refused(
                "attack.surrogate-noise must be summed for diffhammer",
                "attack.name=diffhammer",
                "attack.eot=1",
                "attack.gradient-mode=surrogate",
                "attack.surrogate-steps=5",
                "attack.surrogate-noise=independent");
        refused("attack.grafting must be one of", "attack.grafting=fine");
        refused(
                "attack.evaluations must be",
                "attack.name=diffhammer",
                "attack.eot=1",
                "attack.evaluations=1000000");
        refused(
                "purify.ddpm-respaced-steps is for purify.kind = ddpm and at most purify.ddpm-steps",
                "purify.ddpm-respaced-steps=10");
        refused(
                "purify.ddpm-respaced-steps is for purify.kind = ddpm and at most purify.ddpm-steps"
                        + " (100), found 200",
                "purify.kind=ddpm",
                "purify.ddpm-steps=100",
                "purify.ddpm-respaced-steps=200");
        refused(
                "attack.restarts must be 1 for diffhammer",
                "attack.name=diffhammer",
                "attack.eot=1",
                "attack.restarts=3");
    }
}
