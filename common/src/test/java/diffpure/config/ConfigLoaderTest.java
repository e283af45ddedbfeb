package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.attack.Attacks;
import diffpure.attack.Pgd;
import diffpure.experiment.Experiments;
import diffpure.purify.Purifiers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Precedence level by level, errors naming key, value and file, and every shipped experiment. */
class ConfigLoaderTest {
    @TempDir Path tmp;

    private Path file(String text) throws IOException {
        Path f = tmp.resolve("exp.conf");
        Files.writeString(f, text);
        return f;
    }

    private static ExperimentConfig load(
            Path f, List<String> set, Map<String, String> env, Properties props) {
        return Experiments.load(f == null ? null : f.toString(), set, env, props).config();
    }

    @Test
    void eachLevelOverridesTheOnesBelow() throws IOException {
        Properties none = new Properties();
        // reference.conf alone
        assertEquals(20, load(null, List.of(), Map.of(), none).attack().eot());
        // experiment file > reference.conf
        Path f = file("attack { eot = 4 }\neval.votes = 5\n");
        assertEquals(4, load(f, List.of(), Map.of(), none).attack().eot());
        // environment > experiment file
        Map<String, String> env =
                Map.of(
                        "DIFFPURE_CONF_ATTACK_EOT",
                        "3",
                        "DIFFPURE_CONF_RUNTIME_TORCH__THREADS",
                        "2",
                        "DIFFPURE_GIT_SHA",
                        "not config",
                        "UNRELATED",
                        "x");
        ExperimentConfig e = load(f, List.of(), env, none);
        assertEquals(3, e.attack().eot());
        assertEquals(2, e.runtime().torchThreads());
        assertEquals(5, e.eval().votes(), "the file still sets what nothing above overrides");
        // -D system properties > environment
        Properties props = new Properties();
        props.setProperty("attack.eot", "2");
        props.setProperty("java.vendor", "ignored: not a config section");
        assertEquals(2, load(f, List.of(), env, props).attack().eot());
        // --set > -D
        assertEquals(1, load(f, List.of("attack.eot=1"), env, props).attack().eot());
    }

    @Test
    void epsAsAFractionAndPresetBudgets() {
        ExperimentConfig c = load(null, List.of("attack.eps=8/255"), Map.of(), new Properties());
        assertEquals(8.0 / 255, c.attack().eps(), 1e-15);
        Pgd pgd = (Pgd) Attacks.build(c.attack());
        assertEquals(200, pgd.iterations(), "iterations = 0 keeps the preset's");
        assertEquals(0.007, pgd.stepLength(), 0);
        ExperimentConfig small =
                load(
                        null,
                        List.of("attack.iterations=10", "attack.step=0.01"),
                        Map.of(),
                        new Properties());
        assertEquals(10, Attacks.build(small.attack()).iterations());
        assertEquals(0.01, ((Pgd) Attacks.build(small.attack())).stepLength(), 0);
    }

    @Test
    void aTypoedKeyNamesTheKeyValueAndFile() throws IOException {
        Path f = file("attack {\n  epz = 0.03\n}\n");
        ConfigError e =
                assertThrows(
                        ConfigError.class, () -> load(f, List.of(), Map.of(), new Properties()));
        assertTrue(e.getMessage().contains("unknown config key 'attack.epz'"), e.getMessage());
        assertTrue(e.getMessage().contains("0.03"), e.getMessage());
        assertTrue(e.getMessage().contains("exp.conf: 2"), e.getMessage());
        e =
                assertThrows(
                        ConfigError.class,
                        () -> load(null, List.of("atack.eps=1"), Map.of(), new Properties()));
        assertTrue(
                e.getMessage().contains("'atack.eps'") && e.getMessage().contains("--set"),
                e.getMessage());
    }

    @Test
    void aBadValueNamesTheKeyValueAndFile() throws IOException {
        Path f = file("run.batch-samples = many\n");
        ConfigError e =
                assertThrows(
                        ConfigError.class, () -> load(f, List.of(), Map.of(), new Properties()));
        assertTrue(
                e.getMessage().startsWith("run.batch-samples must be an integer, found \"many\""),
                e.getMessage());
        assertTrue(e.getMessage().contains("exp.conf: 1"), e.getMessage());
        Path g = file("purify { t-star = 1.5 }\n");
        e = assertThrows(ConfigError.class, () -> load(g, List.of(), Map.of(), new Properties()));
        assertTrue(
                e.getMessage().contains("purify.t-star must be in (0, 1], found 1.5"),
                e.getMessage());
        e =
                assertThrows(
                        ConfigError.class,
                        () -> load(null, List.of("attack.name=pgd"), Map.of(), new Properties()));
        assertTrue(e.getMessage().contains("attack.name must be one of"), e.getMessage());
        e =
                assertThrows(
                        ConfigError.class,
                        () -> load(null, List.of("attack.eps=-0.1"), Map.of(), new Properties()));
        assertTrue(
                e.getMessage().contains("attack.eps must be a finite number >= 0"), e.getMessage());
    }

    /** Found by ConfigFuzzTest: a --set key HOCON cannot parse as a path escaped as BadPath. */
    @Test
    void aSetKeyThatIsNoPathIsAConfigError() {
        for (String set : List.of("sweep.t-star,0[ =.10.1]", " =1", "a..b=2", "\"x=3")) {
            ConfigError e =
                    assertThrows(
                            ConfigError.class,
                            () -> load(null, List.of(set), Map.of(), new Properties()),
                            set);
            assertTrue(e.getMessage().startsWith("--set "), e.getMessage());
        }
    }

    @Test
    void theHashIgnoresWhereRowsGoButNotWhatDecidesThem() {
        Properties p = new Properties();
        String a = load(null, List.of(), Map.of(), p).configHash();
        assertEquals(
                a,
                load(null, List.of("run.output=/elsewhere", "run.id=x"), Map.of(), p).configHash());
        assertNotEquals(a, load(null, List.of("attack.eot=3"), Map.of(), p).configHash());
        assertEquals("unnamed-" + a.substring(0, 12), load(null, List.of(), Map.of(), p).runId());
    }

    @Test
    void theOldScoreModelKeyIsAnErrorNamingTheNewOne() throws IOException {
        Properties p = new Properties();
        Path f = file("model {\n  eps = \"my.pt\"\n}\n");
        ConfigError e = assertThrows(ConfigError.class, () -> load(f, List.of(), Map.of(), p));
        assertTrue(
                e.getMessage().startsWith("model.eps was renamed model.score-model (set in ")
                        && e.getMessage().contains("exp.conf: 2"),
                e.getMessage());
        e =
                assertThrows(
                        ConfigError.class,
                        () -> load(null, List.of("model.eps=my.pt"), Map.of(), p));
        assertTrue(
                e.getMessage().startsWith("model.eps was renamed model.score-model")
                        && e.getMessage().contains("--set"),
                e.getMessage());
        e =
                assertThrows(
                        ConfigError.class,
                        () -> load(null, List.of(), Map.of("DIFFPURE_CONF_MODEL_EPS", "my.pt"), p));
        assertTrue(
                e.getMessage().startsWith("model.eps was renamed model.score-model"),
                e.getMessage());
        ExperimentConfig c =
                load(null, List.of(), Map.of("DIFFPURE_CONF_MODEL_SCORE__MODEL", "my.pt"), p);
        assertEquals("my.pt", c.models().scoreModel());
        // The score model still decides the hash (it is hashed under its old key, so that runs
        // keep their ids across the rename).
        assertNotEquals(load(null, List.of(), Map.of(), p).configHash(), c.configHash());
    }

    @Test
    void evalChunkIsRenamedAndStillDecidesTheHashUnderItsOldName() throws IOException {
        // "chunk" names the commit unit (run.chunk-samples); the copies per call of the clean
        // during-attack evaluations are eval.clean-during-copies-per-call.
        Properties p = new Properties();
        ConfigError e =
                assertThrows(
                        ConfigError.class, () -> load(null, List.of("eval.chunk=8"), Map.of(), p));
        assertTrue(
                e.getMessage()
                        .startsWith("eval.chunk was renamed eval.clean-during-copies-per-call"),
                e.getMessage());
        ExperimentConfig c =
                load(null, List.of("eval.clean-during-copies-per-call=8"), Map.of(), p);
        assertEquals(8, c.eval().cleanDuringCopiesPerCall());
        assertNotEquals(load(null, List.of(), Map.of(), p).configHash(), c.configHash());
        // A stored config of an older run reads under the new name with the hash it had.
        ExperimentConfig old =
                load(
                        file(ConfigLoader.withRenamedKeys("eval {\n  chunk = 8\n}\n")),
                        List.of(),
                        Map.of(),
                        p);
        ExperimentConfig now =
                load(
                        file("eval {\n  clean-during-copies-per-call = 8\n}\n"),
                        List.of(),
                        Map.of(),
                        p);
        assertEquals(now.configHash(), old.configHash());
        assertEquals(8, old.eval().cleanDuringCopiesPerCall());
    }

    @Test
    void aConfigStoredBeforeTheRenameReadsUnderTheNewKeyWithTheSameHash() throws IOException {
        Properties p = new Properties();
        String stored = "model {\n  eps = \"old.pt\"\n  classifier = \"c.pt\"\n}\n";
        ExperimentConfig c =
                load(file(ConfigLoader.withRenamedKeys(stored)), List.of(), Map.of(), p);
        assertEquals("old.pt", c.models().scoreModel());
        assertEquals(
                load(
                                null,
                                List.of("model.score-model=old.pt", "model.classifier=c.pt"),
                                Map.of(),
                                p)
                        .configHash(),
                c.configHash());
        String current = "model { score-model = \"new.pt\" }\n";
        assertEquals(current, ConfigLoader.withRenamedKeys(current));
    }

    @Test
    void everyShippedExperimentParses() throws IOException {
        Path root =
                Path.of(System.getProperty("diffpure.repo.root", "..")).resolve("conf/experiments");
        List<Path> files;
        try (var s = Files.list(root)) {
            files = s.filter(x -> x.toString().endsWith(".conf")).sorted().toList();
        }
        assertTrue(files.size() >= 12, "experiments: " + files);
        for (Path f : files) {
            ExperimentConfig c = load(f, List.of(), Map.of(), new Properties());
            String name = f.getFileName().toString().replace(".conf", "");
            assertEquals(name, c.experiment(), f.toString());
            Attacks.build(c.attack());
            Purifiers.spec(c.purify());
        }
    }

    @Test
    void aStoredConfigReadsFromItsTextAsTheRunStoredIt() throws IOException {
        Properties p = new Properties();
        ConfigLoader.Loaded run =
                Experiments.load(null, List.of("attack.eot=3", "run.output=/out"), Map.of(), p);
        ConfigLoader.Loaded stored =
                ConfigLoader.loadStored(
                        run.rendered(),
                        "config of run r",
                        List.of(),
                        Map.of(),
                        p,
                        Experiments.STRATEGIES);
        assertEquals(run.config(), stored.config());
        assertEquals(run.rendered(), stored.rendered());
        ConfigError e =
                assertThrows(
                        ConfigError.class,
                        () ->
                                ConfigLoader.loadStored(
                                        run.rendered(),
                                        "config of run r",
                                        List.of("attack.eot=0"),
                                        Map.of(),
                                        p,
                                        Experiments.STRATEGIES));
        assertTrue(
                e.getMessage().startsWith("config of run r: attack.eot must be >= 1, found"),
                e.getMessage());
    }

    /**
     * Config holds plain records: the packages that build strategies import it, not the reverse.
     */
    @Test
    void configImportsNoStrategyPackage() throws IOException {
        Path dir =
                Path.of(System.getProperty("diffpure.repo.root", ".."))
                        .resolve("common/src/main/java/diffpure/config");
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                for (String line : Files.readAllLines(f)) {
                    String code = line.trim();
                    boolean comment = code.startsWith("*") || code.startsWith("/");
                    assertTrue(
                            comment
                                    || !code.matches(
                                            ".*\\bdiffpure\\.(attack|gradient|purify|data|model|sde)\\..*"),
                            f + ": " + line);
                }
            }
        }
    }
}
