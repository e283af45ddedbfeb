package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.experiment.Experiments;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The sweep and report sections: parsing, settings expansion, and what the config hash includes.
 */
class SweepAndReportSettingsTest {
    private static ConfigLoader.Loaded load(String... sets) {
        return Experiments.load(null, List.of(sets), Map.of(), new Properties());
    }

    /** Report keys never change the hash; an empty sweep hashes like no sweep section at all. */
    @Test
    void noSweepAndReportKeysLeaveTheHashAsItWas() {
        String base = load().config().configHash();
        assertEquals(
                base, load("report.regression-alpha=0.01", "report.dir=/x").config().configHash());
        assertEquals(base, load("sweep.eps=[]").config().configHash());
        assertNotEquals(base, load("sweep.eps=[0.01, 0.02]").config().configHash());
    }

    /**
     * The stopping rule decides how many rows a run has, not what they hold: not hashed. The seeded
     * order it needs changes the batches: hashed when set, absent from the hash when sorted.
     */
    @Test
    void stoppingRuleKeysBuildTheRuleAndLeaveTheHashAsItWas() {
        ExperimentConfig sorted = load().config();
        assertEquals(sorted.configHash(), load("data.order=sorted").config().configHash());
        ExperimentConfig base = load("data.order=seeded").config();
        assertNotEquals(sorted.configHash(), base.configHash());
        assertEquals(diffpure.eval.StoppingRule.NONE, diffpure.eval.StoppingRule.forRun(base));
        ExperimentConfig c =
                load(
                                "data.order=seeded",
                                "eval.stop-metric=worst",
                                "eval.target-half-width=0.05",
                                "run.budget=1000000")
                        .config();
        assertEquals(
                new diffpure.eval.StoppingRule(diffpure.eval.Metric.WORST, 0.05, 1_000_000),
                diffpure.eval.StoppingRule.forRun(c));
        assertEquals(base.configHash(), c.configHash());
        ConfigError order = assertThrows(ConfigError.class, () -> load("run.budget=1000"));
        assertTrue(
                order.getMessage()
                        .startsWith(
                                "data.order must be seeded when eval.target-half-width or"
                                        + " run.budget is set"),
                order.getMessage());
        ConfigError e = assertThrows(ConfigError.class, () -> load("eval.stop-metric=median"));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "eval.stop-metric must be one of [single, majority, mean, worst,"
                                        + " any, during-attack, averaged-logit]"),
                e.getMessage());
        e = assertThrows(ConfigError.class, () -> load("eval.target-half-width=0.5"));
        assertTrue(
                e.getMessage().startsWith("eval.target-half-width must be in [0, 0.5)"),
                e.getMessage());
        e = assertThrows(ConfigError.class, () -> load("run.budget=-1"));
        assertTrue(e.getMessage().startsWith("run.budget must be >= 0"), e.getMessage());
    }

    /** Checkpoints add columns to the rows: hashed when set, absent from the hash when empty. */
    @Test
    void budgetCheckpointsAreReadCheckedAndHashedOnlyWhenSet() {
        ExperimentConfig base = load().config();
        assertEquals(List.of(), base.attack().budgetCheckpoints());
        ExperimentConfig c =
                load("attack.name=autoattack-rand", "attack.budget-checkpoints=[5, 10, 200]")
                        .config();
        assertEquals(List.of(5, 10, 200), c.attack().budgetCheckpoints());
        assertEquals(List.of(5, 10, 200), c.withEps(0.1).attack().budgetCheckpoints());
        assertEquals(
                load("attack.name=autoattack-rand").config().configHash(),
                load("attack.name=autoattack-rand", "attack.budget-checkpoints=[]")
                        .config()
                        .configHash());
        assertNotEquals(load("attack.name=autoattack-rand").config().configHash(), c.configHash());
        ConfigError e =
                assertThrows(ConfigError.class, () -> load("attack.budget-checkpoints=[10, 5]"));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "attack.budget-checkpoints must be strictly increasing iteration"
                                        + " counts >= 0"),
                e.getMessage());
        e =
                assertThrows(
                        ConfigError.class,
                        () -> load("attack.name=square", "attack.budget-checkpoints=[10]"));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "attack.budget-checkpoints: square does not record budget"
                                        + " checkpoints"),
                e.getMessage());
        assertEquals(EvalSettings.STOP_METRICS.size(), diffpure.eval.Metric.values().length);
        for (diffpure.eval.Metric m : diffpure.eval.Metric.values()) {
            assertEquals(m.key(), EvalSettings.STOP_METRICS.get(m.ordinal()));
        }
    }

    @Test
    void surrogateSettingsAreReadCheckedAndHashedOnlyWhenSet() {
        ExperimentConfig c =
                load(
                                "attack.gradient-mode=surrogate",
                                "attack.surrogate-steps=10",
                                "attack.surrogate-noise=independent")
                        .config();
        assertEquals(10, c.attack().surrogateSteps());
        assertEquals("independent", c.withEps(0.1).attack().surrogateNoise());
        diffpure.gradient.GradientMode mode =
                diffpure.gradient.GradientModes.byName(
                        c.attack().gradientMode(),
                        diffpure.gradient.GradientPlan.options(c.attack()));
        assertEquals(10, ((diffpure.gradient.SurrogateGradient) mode).steps());
        assertEquals(
                load().config().configHash(),
                load("attack.surrogate-steps=0", "attack.surrogate-noise=summed")
                        .config()
                        .configHash());
        assertNotEquals(
                load("attack.gradient-mode=surrogate", "attack.surrogate-steps=10")
                        .config()
                        .configHash(),
                load("attack.gradient-mode=surrogate", "attack.surrogate-steps=20")
                        .config()
                        .configHash());
        String[][] refused = {
            {"attack.surrogate-steps=10"},
            {"attack.gradient-mode=surrogate"},
            {"attack.gradient-mode=surrogate", "attack.surrogate-steps=101"},
            {
                "attack.gradient-mode=surrogate",
                "attack.surrogate-steps=10",
                "attack.surrogate-noise=x"
            }
        };
        String[] messages = {
            "attack.surrogate-steps is for attack.gradient-mode = surrogate",
            "attack.surrogate-steps must be >= 1",
            "attack.surrogate-steps must be in [1, 100]",
            "attack.surrogate-noise"
        };
        for (int i = 0; i < refused.length; i++) {
            String[] sets = refused[i];
            ConfigError e = assertThrows(ConfigError.class, () -> load(sets));
            assertTrue(e.getMessage().contains(messages[i]), e.getMessage());
        }
    }

    @Test
    void surrogateEvaluationIsReadCheckedAndHashedOnlyWhenSet() {
        String[] judged = {
            "attack.gradient-mode=surrogate",
            "attack.surrogate-steps=10",
            "attack.surrogate-evaluation=checkpoints"
        };
        ExperimentConfig c = load(judged).config();
        assertEquals("checkpoints", c.withEps(0.1).attack().surrogateEvaluation());
        diffpure.gradient.SurrogateGradient mode =
                (diffpure.gradient.SurrogateGradient)
                        diffpure.gradient.GradientModes.byName(
                                c.attack().gradientMode(),
                                diffpure.gradient.GradientPlan.options(c.attack()));
        assertTrue(mode.judgesOnSurrogate());
        // the default keeps every hash (and run id) it had before the key existed
        assertEquals(
                load().config().configHash(),
                load("attack.surrogate-evaluation=defence").config().configHash());
        assertNotEquals(load(judged[0], judged[1]).config().configHash(), c.configHash());
        String[][] refused = {
            {"attack.surrogate-evaluation=checkpoints"},
            {judged[0], judged[1], "attack.surrogate-evaluation=surrogate"},
            {
                judged[0],
                judged[1],
                judged[2],
                "attack.name=autoattack-rand",
                "attack.re-evaluations=3"
            }
        };
        String[] messages = {
            "attack.surrogate-evaluation = checkpoints is for attack.gradient-mode = surrogate",
            "attack.surrogate-evaluation",
            "attack.surrogate-evaluation = checkpoints cannot run with attack.re-evaluations = 3"
        };
        for (int i = 0; i < refused.length; i++) {
            String[] sets = refused[i];
            ConfigError e = assertThrows(ConfigError.class, () -> load(sets));
            assertTrue(e.getMessage().contains(messages[i]), e.getMessage());
        }
    }

    @Test
    void aSweepExpandsIntoSettingsWithTheRunsHash() {
        ExperimentConfig c =
                load("sweep.eps=[\"4/255\", \"8/255\"]", "sweep.t-star=[0.05, 0.1]").config();
        List<ExperimentConfig> s = c.settings();
        assertEquals(4, s.size());
        assertEquals(4 / 255.0, s.get(0).attack().eps(), 1e-15);
        assertEquals(0.05, s.get(0).purify().tStar());
        assertEquals(8 / 255.0, s.get(1).attack().eps(), 1e-15);
        assertEquals(0.1, s.get(3).purify().tStar());
        for (ExperimentConfig x : s) {
            assertEquals(c.configHash(), x.configHash());
            assertTrue(x.sweep().isEmpty());
            assertEquals(List.of(x), x.settings());
        }
        assertEquals(List.of(load().config()), load().config().settings());
    }

    @Test
    void badSweepAndReportValuesNameTheKey() {
        ConfigError e = assertThrows(ConfigError.class, () -> load("sweep.t-star=[0.1, 1.5]"));
        assertTrue(
                e.getMessage().startsWith("sweep.t-star must hold values in (0, 1]"),
                e.getMessage());
        e = assertThrows(ConfigError.class, () -> load("sweep.eps=[\"8/255\", \"x\"]"));
        assertTrue(
                e.getMessage().startsWith("sweep.eps must be a list of numbers or fractions"),
                e.getMessage());
        e = assertThrows(ConfigError.class, () -> load("sweep.eps=[0.1, 0.1]"));
        assertTrue(e.getMessage().startsWith("sweep.eps must not repeat a value"), e.getMessage());
        e = assertThrows(ConfigError.class, () -> load("report.regression-alpha=1.5"));
        assertTrue(
                e.getMessage().startsWith("report.regression-alpha must be in (0, 1)"),
                e.getMessage());
        e = assertThrows(ConfigError.class, () -> load("report.regression-metric=mean"));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "report.regression-metric must be one of [single, majority, worst, during-attack]"),
                e.getMessage());
        ReportSettings r = load("report.regression-alpha=0.01").report();
        assertEquals(0.01, r.regressionAlpha());
        assertEquals("majority", r.regressionMetric());
        assertEquals("s3a://b/out/report", r.dirFor("s3a://b/out/"));
    }
}
