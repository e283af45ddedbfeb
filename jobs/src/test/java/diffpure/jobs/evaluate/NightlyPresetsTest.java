package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.eval.StepRowCost;
import diffpure.eval.StoppingRule;
import diffpure.experiment.Experiments;
import diffpure.purify.Purifiers;
import diffpure.sde.VpSchedule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The nightly presets (conf/experiments/nightly/) are their paper settings with only the nightly
 * keys changed, and their hard budget is the figure their comments and docs/user-guide.md state:
 * {@link #BUDGET_SAMPLES} samples at the dry run's upper bound of rows per sample, enough for the
 * half-width target at any accuracy, so that the budget binds only when a run costs more than
 * planned.
 */
class NightlyPresetsTest {
    static final Path EXPERIMENTS =
            Path.of(System.getProperty("diffpure.repo.root", "..")).resolve("conf/experiments");

    /** Samples whose upper-bound rows make a nightly preset's run.budget. */
    static final int BUDGET_SAMPLES = 640;

    /** The keys a nightly preset may set differently from its paper setting. */
    static final Set<String> NIGHTLY_KEYS =
            Set.of(
                    "experiment.name",
                    "data.count",
                    "data.order",
                    "attack.iterations",
                    "eval.votes",
                    "eval.stop-metric",
                    "eval.target-half-width",
                    "run.budget");

    static Stream<String> paperSettings() throws IOException {
        try (Stream<Path> files = Files.list(EXPERIMENTS)) {
            return files
                    .map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".conf") && !n.equals("demo.conf"))
                    .map(n -> n.substring(0, n.length() - ".conf".length()))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    @ParameterizedTest
    @MethodSource("paperSettings")
    void nightlyPresetIsItsPaperSettingWithTheNightlyKeysAndAStatedBudget(String setting) {
        Path nightly = EXPERIMENTS.resolve("nightly/" + setting + ".conf");
        assertTrue(Files.isRegularFile(nightly), "no nightly preset for " + setting);
        ConfigLoader.Loaded paper =
                Experiments.load(EXPERIMENTS.resolve(setting + ".conf").toString(), List.of());
        ConfigLoader.Loaded night = Experiments.load(nightly.toString(), List.of());
        ExperimentConfig c = night.config();

        Config a = ConfigFactory.parseString(paper.rendered());
        Config b = ConfigFactory.parseString(night.rendered());
        Set<String> differ = new TreeSet<>();
        Set<String> keys = new TreeSet<>();
        a.entrySet().forEach(e -> keys.add(e.getKey()));
        b.entrySet().forEach(e -> keys.add(e.getKey()));
        for (String k : keys) {
            boolean same =
                    a.hasPath(k)
                            && b.hasPath(k)
                            && a.getValue(k).unwrapped().equals(b.getValue(k).unwrapped());
            if (!same && !NIGHTLY_KEYS.contains(k)) {
                differ.add(k);
            }
        }
        assertEquals(Set.of(), differ, "keys the nightly preset changes beyond the nightly ones");

        assertEquals(setting + "-nightly", c.experiment());
        assertEquals(10, c.eval().votes());
        StoppingRule rule = StoppingRule.forRun(c);
        assertEquals("majority", c.eval().stopMetric());
        assertEquals(0.08, c.eval().targetHalfWidth());
        assertTrue(
                c.attack().iterations() <= paper.config().attack().iterations()
                        || paper.config().attack().iterations() == 0,
                "a nightly preset never raises the attack's budget");

        long perSample =
                DryRun.perSample(c)
                        .stepRows(
                                StepRowCost.forRun(
                                        c, Purifiers.spec(c.purify()).chain(VpSchedule.DEFAULT)));
        assertEquals(
                BUDGET_SAMPLES * perSample,
                c.run().budget(),
                setting + ": run.budget should be " + BUDGET_SAMPLES + " x " + perSample);
        // The target at the hardest accuracy (0.5) fits in the budget's samples and in data.count.
        int needed = rule.samplesAt(0.5, 10_000, c.data().count());
        assertTrue(needed <= BUDGET_SAMPLES && needed <= c.data().count(), setting + ": " + needed);
    }
}
