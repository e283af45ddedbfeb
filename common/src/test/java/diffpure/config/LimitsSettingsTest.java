package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.experiment.Experiments;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The limits.* keys reach the readers, are checked, and leave the config hash alone. */
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
                load().config().configHash(),
                load("limits.samples=5", "limits.gunzip-bytes=1g").config().configHash());
    }

    @Test
    void nonPositiveLimitsAreRefusedNamingTheKey() {
        for (String set :
                List.of(
                        "limits.samples=0",
                        "limits.file-bytes=0",
                        "limits.gunzip-ratio=-1",
                        "limits.image-pixels=0",
                        "limits.manifest-classes=1")) {
            String key = set.substring(0, set.indexOf('='));
            String m = assertThrows(ConfigError.class, () -> load(set)).getMessage();
            assertTrue(m.startsWith(key), set + ": " + m);
        }
    }
}
