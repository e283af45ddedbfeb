package diffpure.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import diffpure.experiment.Experiments;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Every shipped experiment keeps its config hash, run id and stored config: a run resumes, is
 * rescored and is reported under the id it was given, so a change to how configs are read must not
 * move them. The expected lines (file, hash, run id, sha256 of the stored config) are in {@code
 * shipped-experiment-hashes.txt} beside this test; a deliberate change of a default or an
 * experiment updates them in the same commit.
 */
class ShippedExperimentHashesTest {
    @Test
    void everyShippedExperimentKeepsItsHashRunIdAndStoredConfig() throws IOException {
        Path root =
                Path.of(System.getProperty("diffpure.repo.root", "..")).resolve("conf/experiments");
        StringBuilder actual = new StringBuilder();
        try (var files = Files.walk(root)) {
            for (Path f : files.filter(x -> x.toString().endsWith(".conf")).sorted().toList()) {
                line(actual, root.relativize(f).toString(), f.toString());
            }
        }
        line(actual, "(defaults)", null);
        String expected;
        try (InputStream in =
                ShippedExperimentHashesTest.class.getResourceAsStream(
                        "shipped-experiment-hashes.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(expected, actual.toString());
    }

    private static void line(StringBuilder out, String label, String file) {
        ConfigLoader.Loaded l = Experiments.load(file, List.of(), Map.of(), new Properties());
        out.append(label)
                .append(' ')
                .append(l.config().configHash())
                .append(' ')
                .append(l.config().runId())
                .append(' ')
                .append(ConfigLoader.sha256(l.rendered()))
                .append('\n');
    }
}
