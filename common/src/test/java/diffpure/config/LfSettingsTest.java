package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.attack.Attacks;
import diffpure.attack.Lf;
import diffpure.attack.Norm;
import diffpure.experiment.Experiments;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * attack.name = lf with attack.norm = lpips, model.perceptual and attack.early-stop: read where
 * they act, refused by name elsewhere, part of the config hash only where they act.
 */
class LfSettingsTest {
    private static final String NET = "model.perceptual=models/lpips-vgg.pt";

    private static ExperimentConfig config(String... overrides) {
        return Experiments.load(null, List.of(overrides), Map.of(), new Properties()).config();
    }

    private static void refused(String expected, String... overrides) {
        String m = assertThrows(ConfigError.class, () -> config(overrides)).getMessage();
        assertTrue(m.startsWith(expected), m);
    }

    @Test
    void lfIsDiffBreaksCifar10SettingWithTheRunsBoundAndEarlyStop() {
        ExperimentConfig c =
                config(
                        "attack.name=lf",
                        "attack.norm=lpips",
                        "attack.eps=0.05",
                        "attack.eot=10",
                        NET);
        Lf lf = (Lf) Attacks.build(c.attack());
        assertEquals(Norm.LPIPS, lf.threat().norm());
        assertEquals(0.05, lf.threat().eps());
        assertEquals(100, lf.iterations());
        assertEquals(1e8, lf.optimiser().penalty());
        assertEquals(4, lf.filters().kernels().size());
        assertEquals(Lf.EarlyStop.SUCCESS_FRACTION, lf.earlyStop());
        assertNull(lf.network(), "the network is loaded where the attack runs");
        assertEquals("models/lpips-vgg.pt", c.models().perceptual());
        Lf plural =
                (Lf)
                        Attacks.build(
                                config(
                                                "attack.name=lf",
                                                "attack.norm=lpips",
                                                "attack.early-stop=plurality",
                                                "attack.iterations=7",
                                                NET)
                                        .attack());
        assertEquals(Lf.EarlyStop.PLURALITY, plural.earlyStop());
        assertEquals(7, plural.iterations());
    }

    @Test
    void theNewKeysAtTheirDefaultsLeaveTheHashAndTheyChangeItWhereTheyAct() {
        String before = config("attack.name=apgd-ce").configHash();
        assertEquals(
                before,
                config(
                                "attack.name=apgd-ce",
                                "attack.early-stop=success-fraction",
                                "model.perceptual=")
                        .configHash());
        String lf = config("attack.name=lf", "attack.norm=lpips", NET).configHash();
        assertNotEquals(
                lf,
                config("attack.name=lf", "attack.norm=lpips", "model.perceptual=other.pt")
                        .configHash());
        assertNotEquals(
                lf,
                config("attack.name=lf", "attack.norm=lpips", "attack.early-stop=plurality", NET)
                        .configHash());
    }

    @Test
    void everyOtherAttackRefusesLpipsAndLfRefusesPixelBalls() {
        refused(
                "attack.norm lpips is for lf only",
                "attack.name=apgd-ce",
                "attack.norm=lpips",
                NET);
        refused("attack.norm lpips is for lf only", "attack.name=stadv", "attack.norm=lpips", NET);
        refused("attack.norm must be lpips for lf", "attack.name=lf", "attack.norm=Linf");
        refused(
                "attack.early-stop is read by attack.name = lf only",
                "attack.name=pgd-eot",
                "attack.early-stop=plurality");
        refused("attack.early-stop must be one of", "attack.name=lf", "attack.early-stop=any", NET);
        String m =
                assertThrows(
                                ConfigError.class,
                                () ->
                                        config(
                                                "attack.name=lf",
                                                "attack.norm=lpips",
                                                "attack.budget-checkpoints=[1, 2]",
                                                NET))
                        .getMessage();
        assertTrue(m.contains("lf"), "lf records no budget checkpoints: " + m);
    }

    @Test
    void modelPerceptualIsRequiredByLpipsAndRefusedByEveryOtherNorm() {
        refused(
                "model.perceptual must name a perceptual model",
                "attack.name=lf",
                "attack.norm=lpips");
        refused(
                "model.perceptual is read for attack.norm = lpips only",
                "attack.name=apgd-ce",
                NET);
    }
}
