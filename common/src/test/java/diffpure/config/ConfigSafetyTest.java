package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.experiment.Experiments;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An experiment file is untrusted input: it includes files only from its own tree or the project's
 * conf/, substitutes no environment variable, fetches nothing, and no credential it holds reaches a
 * message or the stored config.
 */
class ConfigSafetyTest {
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    @TempDir Path tmp;

    private static Path write(Path f, String text) throws IOException {
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        return f;
    }

    private static ConfigLoader.Loaded load(Path f, String... sets) {
        return Experiments.load(
                f == null ? null : f.toString(), List.of(sets), Map.of(), new Properties());
    }

    private static String refused(Path f, String... sets) {
        return assertThrows(ConfigError.class, () -> load(f, sets)).getMessage();
    }

    @Test
    void includesStayInsideTheExperimentsTreeOrTheProjectsConf() throws IOException {
        Path conf = tmp.resolve("project/conf");
        write(conf.resolve("experiments/paper.conf"), "attack.eot = 7\n");
        write(conf.resolve("experiments/nightly/parts/budget.conf"), "eval.votes = 3\n");
        write(tmp.resolve("project/outside.conf"), "attack.eot = 9\n");
        Path nightly =
                write(
                        conf.resolve("experiments/nightly/paper-nightly.conf"),
                        "include \"../paper.conf\"\ninclude \"parts/budget.conf\"\n"
                                + "experiment.name = paper-nightly\n");
        ExperimentConfig c = load(nightly).config();
        assertEquals(7, c.attack().eot(), "the paper preset beside the nightly folder");
        assertEquals(3, c.eval().votes(), "a file below the experiment's own directory");

        Path escape =
                write(conf.resolve("experiments/escape.conf"), "include \"../../outside.conf\"\n");
        String m = refused(escape);
        assertTrue(m.contains("include \"../../outside.conf\" is refused"), m);
        assertTrue(m.contains("escape.conf"), m);

        Path mine =
                write(
                        tmp.resolve("home/exp.conf"),
                        "include file(\"" + tmp.resolve("project/outside.conf") + "\")\n");
        m = refused(mine);
        assertTrue(m.contains("is refused") && m.contains("outside.conf"), m);
        Path missing = write(tmp.resolve("home/typo.conf"), "include \"nope.conf\"\n");
        m = refused(missing);
        assertTrue(m.contains("include \"nope.conf\" is refused"), m);
    }

    /** Found by ConfigFuzzTest: HOCON follows an include cycle until the stack overflows. */
    @Test
    void anIncludeCycleIsRefusedNamingTheInclude() throws IOException {
        Path a = write(tmp.resolve("cycle/a.conf"), "include \"b.conf\"\n");
        write(tmp.resolve("cycle/b.conf"), "attack.eot = 2\ninclude \"a.conf\"\n");
        String m = refused(a);
        assertTrue(m.contains("include \"a.conf\" is refused: it includes itself"), m);
        for (int i = 0; i < 40; i++) {
            write(tmp.resolve("deep/d" + i + ".conf"), "include \"d" + (i + 1) + ".conf\"\n");
        }
        write(tmp.resolve("deep/d40.conf"), "attack.eot = 2\n");
        m = refused(tmp.resolve("deep/d0.conf"));
        assertTrue(m.contains("more than " + ExperimentIncludes.MAX_DEPTH + " nested includes"), m);
    }

    @Test
    void includeUrlAndClasspathAreRefusedWithoutFetching() throws IOException {
        Path url =
                write(
                        tmp.resolve("u/exp.conf"),
                        "include url(\"http://user:pw123@127.0.0.1:9/x.conf\")\n");
        String m = refused(url);
        assertTrue(m.contains("include url(\"http://***@127.0.0.1:9/x.conf\") is refused"), m);
        assertFalse(m.contains("pw123"), m);
        // a secret with '/' makes the URL invalid: HOCON's own error shows it without the secret
        Path invalid =
                write(
                        tmp.resolve("u/invalid.conf"),
                        "include url(\"http://user:" + SECRET + "@127.0.0.1:9/x.conf\")\n");
        m = refused(invalid);
        assertTrue(m.contains("http://***@127.0.0.1:9/x.conf"), m);
        assertFalse(m.contains(SECRET), m);
        Path cp = write(tmp.resolve("u/cp.conf"), "include classpath(\"reference.conf\")\n");
        m = refused(cp);
        assertTrue(m.contains("include classpath(\"reference.conf\") is refused"), m);
    }

    @Test
    void substitutionsNameKeysOfTheExperimentOnly() throws IOException {
        Path own = write(tmp.resolve("s/own.conf"), "attack.eot = 4\neval.votes = ${attack.eot}\n");
        assertEquals(4, load(own).config().eval().votes());
        // PATH is set in every test JVM; HOCON would otherwise read it from the environment.
        Path env = write(tmp.resolve("s/env.conf"), "experiment.name = ${PATH}\n");
        String m = refused(env);
        assertTrue(m.startsWith("a substitution names no key of the experiment"), m);
        assertTrue(m.contains("${PATH}"), m);
        assertFalse(m.contains(System.getenv("PATH")), m);
        Path optional = write(tmp.resolve("s/optional.conf"), "experiment.name = ${?PATH}\n");
        m = refused(optional);
        assertTrue(m.startsWith("experiment.name would be read from an environment variable"), m);
        assertFalse(m.contains(System.getenv("PATH")), m);
        Path unset =
                write(tmp.resolve("s/unset.conf"), "experiment.name = ${?DIFFPURE_NEVER_SET_42}\n");
        assertEquals("unnamed", load(unset).config().experiment(), "an unset one changes nothing");
        String props = refused(null, "data.paths=[${java.home}]");
        assertTrue(props.contains("${java.home}"), props);
    }

    @Test
    void credentialsInAUriAreRefusedAndNeverShown() throws IOException {
        String uri = "s3a://AKIAEXAMPLE:" + SECRET + "@bucket/cifar";
        Path f = write(tmp.resolve("c/exp.conf"), "data.images = \"" + uri + "\"\n");
        String m = refused(f);
        assertTrue(
                m.startsWith(
                        "data.images holds a URI with credentials (\"s3a://***@bucket/cifar\""),
                m);
        assertFalse(m.contains(SECRET) || m.contains("AKIAEXAMPLE"), m);
        m = refused(null, "run.output=" + uri);
        assertTrue(m.startsWith("run.output holds a URI with credentials"), m);
        assertFalse(m.contains(SECRET), m);
        m = refused(null, "data.paths=[\"" + uri + "\"]");
        assertFalse(m.contains(SECRET), m);
        // a bad value of another key shows the URI without its user information
        m = refused(null, "run.batch-samples=" + uri);
        assertFalse(m.contains(SECRET), m);
        // an unknown key that looks like a secret never shows its value
        m = refused(null, "data.secret-key=" + SECRET);
        assertTrue(m.startsWith("unknown config key 'data.secret-key' (value ***)"), m);
        m = refused(null, "fs.s3a.secret.key" + SECRET);
        assertFalse(m.contains(SECRET), m);
    }

    /** Ids become directory names under run.output: "..", "." or a hidden name are refused. */
    @Test
    void idsThatWouldLeaveOrHideInTheOutputAreRefused() {
        for (String id : List.of("..", ".", ".hidden")) {
            String m = refused(null, "run.id=" + id);
            assertTrue(m.contains("run.id") && m.contains("may not start with '.'"), m);
            m = refused(null, "experiment.name=" + id);
            assertTrue(m.contains("experiment.name") && m.contains("may not start with '.'"), m);
        }
        assertEquals("a..b", load(null, "run.id=a..b").config().runId());
    }

    /** HOCON's parser recurses per level: 20,000 brackets overflowed its stack. */
    @Test
    void deepNestingAndOversizeTextAreRefusedBeforeParsing() throws IOException {
        String deep = "attack.eps = " + "[".repeat(20_000) + "]".repeat(20_000) + "\n";
        Path f = write(tmp.resolve("n/deep.conf"), deep);
        String m = refused(f);
        assertTrue(m.contains("deep.conf: objects and arrays nested more than 32 deep"), m);
        m =
                assertThrows(
                                ConfigError.class,
                                () -> Experiments.loadStored(deep, "config of run r", List.of()))
                        .getMessage();
        assertTrue(m.contains("nested more than 32 deep"), m);
        m = refused(null, "data.paths=" + "[".repeat(20_000));
        assertTrue(m.startsWith("--set data.paths: objects and arrays nested more than 32"), m);
        Path big = write(tmp.resolve("n/big.conf"), "#".repeat((1 << 20) + 1));
        m = refused(big);
        assertTrue(m.contains("big.conf: 1048577 bytes, more than a config may have"), m);
        Path includesDeep = write(tmp.resolve("n/inc.conf"), "include \"deep.conf\"\n");
        m = refused(includesDeep);
        assertTrue(m.contains("nested more than 32 deep"), m);
        // nesting inside a quoted string is text, not structure
        Path quoted =
                write(
                        tmp.resolve("n/quoted.conf"),
                        "experiment.name = ok\nrun.output = \"" + "[".repeat(100) + "\"\n");
        assertEquals("[".repeat(100), load(quoted).config().run().output());
    }

    @Test
    void aStoredConfigIncludesNothing() {
        String m =
                assertThrows(
                                ConfigError.class,
                                () ->
                                        Experiments.loadStored(
                                                "include \"/etc/hosts\"\nattack.eot = 2\n",
                                                "config of run r",
                                                List.of()))
                        .getMessage();
        assertTrue(m.contains("includes nothing"), m);
        m =
                assertThrows(
                                ConfigError.class,
                                () ->
                                        Experiments.loadStored(
                                                "include url(\"http://127.0.0.1:9/x\")\n",
                                                "config of run r",
                                                List.of()))
                        .getMessage();
        assertTrue(m.contains("is refused"), m);
    }

    @Test
    void withoutCredentialsHidesOnlyTheUserInformation() {
        assertEquals(
                "s3a://***@b/k and hdfs://***@nn:8020/p, s3a://b/k@2x.png, s3a://***@b/k",
                ConfigLoader.withoutCredentials(
                        "s3a://ak:sk@b/k and hdfs://u@nn:8020/p, s3a://b/k@2x.png,"
                                + " s3a://ak:s/k+x@b/k"));
    }
}
