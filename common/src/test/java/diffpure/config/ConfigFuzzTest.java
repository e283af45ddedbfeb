package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import diffpure.experiment.Experiments;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzz tests of the config parsers (Jazzer; docs/operations.md, bad input): an
 * experiment file with {@code --set} overrides, and the stored config that rescore and replay read
 * back from the runs table, with overrides. An input is UTF-8 text: the HOCON, then optionally a
 * line {@code --set} and one {@code key=value} override per line. Property: every input ends in a
 * loaded config or a {@link ConfigError} from an explicit check (the config parsers hold no
 * catch-all), never another exception or a hang; and neither an error message nor the stored config
 * shows the user information of a URI ({@link #SECRET} in the seeds). Corpus:
 * src/test/resources/diffpure/config/ConfigFuzzTestInputs/. Fuzzing one target: {@code
 * JAZZER_FUZZ=1 mvn -B -pl common test -Dtest='ConfigFuzzTest#experiment'}.
 */
class ConfigFuzzTest {
    /** How long {@code JAZZER_FUZZ=1} fuzzes one target (docs/operations.md, bad input). */
    static final String MAX_DURATION = "10m";

    /** One input running longer is a hang. */
    static final long INPUT_SECONDS = 10;

    /** A credential the seeds use in URIs ({@code s3a://AKIA:secret@bucket}). */
    static final String SECRET = "fuzz/Secret/Kx9mQ2";

    /**
     * conf/experiments/fuzz/ in a temporary project: the experiment is written there, beside a
     * preset it may include (part.conf, ../paper.conf) and below a file it may not (outside.conf).
     */
    private static final Path DIR = project();

    static {
        // Load and instrument the parser's classes once, outside any input's time limit: the first
        // input would otherwise spend seconds on class loading on a busy machine.
        Experiments.load(null, List.of(), Map.of(), new Properties());
    }

    private static Path project() {
        try {
            Path root = Files.createTempDirectory("diffpure-config-fuzz");
            Path dir = Files.createDirectories(root.resolve("conf/experiments/fuzz"));
            Files.writeString(dir.resolve("part.conf"), "attack.eot = 3\n");
            Files.writeString(dir.resolve("../paper.conf"), "eval.votes = 5\n");
            Files.writeString(root.resolve("outside.conf"), "attack.eot = 9\n");
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The HOCON and the overrides of an input. */
    private record Input(String hocon, List<String> overrides) {
        static Input of(byte[] bytes) {
            String text = new String(bytes, StandardCharsets.UTF_8);
            int set = text.indexOf("\n--set\n");
            if (set < 0) {
                return new Input(text, List.of());
            }
            List<String> overrides = new ArrayList<>();
            for (String line : text.substring(set + 7).split("\n", -1)) {
                if (!line.isEmpty()) {
                    overrides.add(line);
                }
            }
            return new Input(text.substring(0, set + 1), overrides);
        }
    }

    private static void check(java.util.function.Supplier<ConfigLoader.Loaded> load) {
        try {
            ConfigLoader.Loaded l = load.get();
            assertNotNull(l.config().configHash());
            noCredentials(l.rendered());
        } catch (ConfigError e) {
            assertNotNull(e.getMessage());
            noCredentials(e.getMessage());
        }
    }

    /**
     * No URI user information. A seeded secret that the fuzzer moves out of a URI's user
     * information is a plain value, which an error may show: no parser can tell it from any other
     * string (regression inputs finding-secret-outside-a-uri.conf, where it lands under an unknown
     * key, and finding-secret-in-a-uri-without-at.conf, where s3a://AKIA:secret... lost its '@' and
     * is a host and path).
     */
    private static void noCredentials(String text) {
        assertEquals(ConfigLoader.withoutCredentials(text), text);
    }

    /** An experiment file with --set overrides, as {@code bin/diffpure evaluate} reads them. */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void experiment(byte[] bytes) {
        Input in = Input.of(bytes);
        Path f = DIR.resolve("fuzz.conf");
        try {
            Files.writeString(f, in.hocon(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        check(() -> Experiments.load(f.toString(), in.overrides(), Map.of(), new Properties()));
    }

    /** A runs row's stored config with overrides, as rescore and replay read it back. */
    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(INPUT_SECONDS)
    void stored(byte[] bytes) {
        Input in = Input.of(bytes);
        check(
                () ->
                        ConfigLoader.loadStored(
                                in.hocon(),
                                "config of run fuzz",
                                in.overrides(),
                                Map.of(),
                                new Properties(),
                                Experiments.STRATEGIES));
    }
}
