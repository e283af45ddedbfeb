package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.experiment.Experiments;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The limits.* keys reach the readers, are checked, and leave the config hash alone; attack budgets
 * and sample counts above their limits are refused when the config is loaded.
 */
class LimitsSettingsTest {
    private static ConfigLoader.Loaded load(String... overrides) {
        return Experiments.load(null, List.of(overrides), Map.of(), new Properties());
    }

    @Test
    void referenceConfHoldsTheDefaultsTheReadersUseWithoutAConfig() {
        ExperimentConfig c = load().config();
        assertEquals(LimitsSettings.DEFAULTS.data(), c.data().limits());
        assertEquals(LimitsSettings.DEFAULTS.manifests(), c.models().manifestLimits());
    }

    @Test
    void overridesReachTheDataAndModelSettings() {
        ExperimentConfig c =
                load(
                                "limits.file-bytes=2m",
                                "limits.gunzip-ratio=7",
                                "limits.samples=5",
                                "data.count=5",
                                "sanity.subset=5",
                                "limits.image-pixels=1000",
                                "limits.manifest-input-elements=784",
                                "limits.manifest-classes=3")
                        .config();
        assertEquals(2L << 20, c.data().limits().fileBytes());
        assertEquals(7, c.data().limits().gunzipRatio());
        assertEquals(5, c.data().limits().samples());
        assertEquals(1000, c.data().limits().imagePixels());
        assertEquals(784, c.models().manifestLimits().inputElements());
        assertEquals(3, c.models().manifestLimits().classes());
    }

    @Test
    void limitsDoNotChangeTheConfigHash() {
        assertEquals(
                load("data.count=5", "sanity.subset=5").config().configHash(),
                load(
                                "limits.samples=5",
                                "data.count=5",
                                "sanity.subset=5",
                                "limits.gunzip-bytes=1g")
                        .config()
                        .configHash());
    }

    @Test
    void nonPositiveLimitsAreRefusedNamingTheKey() {
        for (String set :
                List.of(
                        "limits.samples=0",
                        "limits.file-bytes=0",
                        "limits.gunzip-ratio=-1",
                        "limits.image-pixels=0",
                        "limits.manifest-classes=1",
                        "limits.attack-iterations=0",
                        "limits.eot-samples=0",
                        "limits.votes=0",
                        "limits.restarts=0",
                        "limits.budget-checkpoints=0")) {
            String key = set.substring(0, set.indexOf('='));
            String m = assertThrows(ConfigError.class, () -> load(set)).getMessage();
            assertTrue(m.startsWith(key), set + ": " + m);
        }
    }

    /** Each budget key and the limit that bounds it. */
    private static final List<String[]> BUDGETS =
            List.of(
                    new String[] {"attack.iterations", "limits.attack-iterations"},
                    new String[] {"sanity.square-queries", "limits.attack-iterations"},
                    new String[] {"attack.eot", "limits.eot-samples"},
                    new String[] {"attack.restarts", "limits.restarts"},
                    new String[] {"eval.votes", "limits.votes"},
                    new String[] {"attack.re-evaluations", "limits.votes"},
                    new String[] {"data.count", "limits.samples"},
                    new String[] {"sanity.subset", "limits.samples"});

    @Test
    void aBudgetAtItsLimitLoadsAndOneMoreIsRefusedNamingKeyValueAndLimit() {
        for (String[] b : BUDGETS) {
            // apgd-ce takes restarts; no sanity checks, whose rerun budget has its own test
            List<String> base =
                    new java.util.ArrayList<>(
                            List.of(
                                    // re-evaluations are autoattack-rand's alone
                                    b[0].equals("attack.re-evaluations")
                                            ? "attack.name=autoattack-rand"
                                            : "attack.name=apgd-ce",
                                    "attack.iterations=5",
                                    b[1] + "=7",
                                    "data.count=5",
                                    "eval.votes=5",
                                    "sanity.square-queries=5",
                                    b[0].equals("sanity.subset")
                                            ? "sanity.iteration-factor=1"
                                            : "sanity.subset=0"));
            base.add(b[0] + "=7");
            load(base.toArray(new String[0]));
            base.set(base.size() - 1, b[0] + "=8");
            String m =
                    assertThrows(ConfigError.class, () -> load(base.toArray(new String[0])))
                            .getMessage();
            assertTrue(m.startsWith(b[0] + " must be <= " + b[1] + " = 7"), b[0] + ": " + m);
            assertTrue(m.contains("found \"8\" (set in command line"), b[0] + ": " + m);
        }
    }

    @Test
    void budgetCheckpointsAtTheirLimitLoadAndOneMoreIsRefusedNamingKeyCountAndLimit() {
        String[] base = {"attack.name=apgd-ce", "sanity.subset=0", "limits.budget-checkpoints=7"};
        List<String> sets = new java.util.ArrayList<>(List.of(base));
        sets.add("attack.budget-checkpoints=[1, 2, 3, 4, 5, 6, 7]");
        assertEquals(
                List.of(1, 2, 3, 4, 5, 6, 7),
                load(sets.toArray(new String[0])).config().attack().budgetCheckpoints());
        sets.set(sets.size() - 1, "attack.budget-checkpoints=[1, 2, 3, 4, 5, 6, 7, 8]");
        String m =
                assertThrows(ConfigError.class, () -> load(sets.toArray(new String[0])))
                        .getMessage();
        assertTrue(
                m.startsWith(
                        "attack.budget-checkpoints must have <= limits.budget-checkpoints = 7"
                                + " entries, has 8"),
                m);
        assertTrue(m.contains("(set in command line"), m);
        // the default admits the example and refuses a hostile list
        load("attack.name=apgd-ce", "attack.budget-checkpoints=[5, 10, 20, 50, 100, 200]");
        String range =
                java.util.stream.IntStream.rangeClosed(1, 101)
                        .mapToObj(Integer::toString)
                        .collect(java.util.stream.Collectors.joining(", ", "[", "]"));
        String hostile =
                assertThrows(
                                ConfigError.class,
                                () ->
                                        load(
                                                "attack.name=apgd-ce",
                                                "attack.budget-checkpoints=" + range))
                        .getMessage();
        assertTrue(hostile.contains("limits.budget-checkpoints = 100 entries, has 101"), hostile);
    }

    @Test
    void theDefaultLimitsRefuseAHostileBudgetAndAdmitEveryShippedExperiment() {
        for (String[] b : BUDGETS) {
            String m =
                    assertThrows(ConfigError.class, () -> load(b[0] + "=2000000000")).getMessage();
            assertTrue(m.startsWith(b[0] + " must be <= " + b[1] + " = "), m);
            assertTrue(m.contains("found \"2000000000\""), m);
        }
        List<java.nio.file.Path> shipped;
        try (var files =
                java.nio.file.Files.walk(
                        java.nio.file.Paths.get(System.getProperty("diffpure.repo.root"))
                                .resolve("conf/experiments"))) {
            shipped = files.filter(f -> f.toString().endsWith(".conf")).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertTrue(shipped.size() >= 10, "conf/experiments not found: " + shipped);
        for (java.nio.file.Path f : shipped) {
            Experiments.load(f.toString(), List.of(), Map.of(), new Properties());
        }
    }

    @Test
    void theSanityRerunBudgetCountsTheAttacksPresetIterations() {
        // pgd-eot's preset is 200 iterations: the sanity checks would rerun it with 200 x 600
        String m =
                assertThrows(
                                ConfigError.class,
                                () ->
                                        load(
                                                "attack.name=pgd-eot",
                                                "attack.iterations=0",
                                                "sanity.iteration-factor=600"))
                        .getMessage();
        assertTrue(
                m.startsWith(
                        "sanity.iteration-factor times the attack's 200 iterations must be <="
                                + " limits.attack-iterations = 100000"),
                m);
        assertTrue(m.contains("found \"600\""), m);
        // 200 x 500 is the limit; without sanity checks there is no rerun to bound
        load("attack.name=pgd-eot", "attack.iterations=0", "sanity.iteration-factor=500");
        load("attack.iterations=0", "sanity.iteration-factor=600", "sanity.subset=0");
        // an explicit budget is what is multiplied
        load("attack.iterations=50000", "sanity.iteration-factor=2");
        assertThrows(
                ConfigError.class,
                () -> load("attack.iterations=50001", "sanity.iteration-factor=2"));
    }

    @Test
    void budgetLimitsDoNotChangeTheConfigHash() {
        assertEquals(
                load().config().configHash(),
                load("limits.attack-iterations=5000", "limits.votes=20").config().configHash());
    }
}
