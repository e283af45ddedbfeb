package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Readers and parsers report bad input through explicit checks: none of them catches Exception,
 * RuntimeException, Throwable or Error (alone or in a multi-catch), which would turn any bug into a
 * "bad file" message and hide it from the fuzz tests.
 */
class NoCatchAllInReadersTest {
    /**
     * The reader and parser sources: the data package, the manifest parsers and the config parsers
     * (config, experiment).
     */
    static List<Path> readerSources() throws IOException {
        Path main = Path.of("src/main/java/diffpure");
        List<Path> out = new ArrayList<>();
        try (Stream<Path> data = Files.list(main.resolve("data"))) {
            data.filter(p -> p.toString().endsWith(".java")).forEach(out::add);
        }
        for (String parsers : List.of("config", "experiment")) {
            try (Stream<Path> config = Files.list(main.resolve(parsers))) {
                config.filter(p -> p.toString().endsWith(".java")).forEach(out::add);
            }
        }
        out.add(main.resolve("model/ModelManifest.java"));
        out.add(main.resolve("model/ModelManifests.java"));
        return out;
    }

    private static final Pattern CATCH = Pattern.compile("catch\\s*\\(([^)]*)\\)");
    private static final Pattern BROAD =
            Pattern.compile(
                    "(^|[\\s|(])(java\\.lang\\.)?(Exception|RuntimeException|Throwable|Error)\\s");

    @Test
    void noReaderOrParserCatchesEverything() throws IOException {
        List<String> found = new ArrayList<>();
        List<Path> sources = readerSources();
        assertTrue(sources.size() >= 10, "found only " + sources);
        for (Path p : sources) {
            Matcher m = CATCH.matcher(Files.readString(p));
            while (m.find()) {
                if (BROAD.matcher(m.group(1) + " ").find()) {
                    found.add(p.getFileName() + ": catch (" + m.group(1) + ")");
                }
            }
        }
        assertEquals(List.of(), found);
    }

    @Test
    void theScanSeesACatchAll() {
        for (String clause :
                List.of(
                        "Exception e",
                        "IOException | RuntimeException e",
                        "java.lang.Throwable t",
                        "Error e")) {
            assertTrue(BROAD.matcher(clause + " ").find(), clause);
        }
        for (String clause : List.of("IOException e", "DataException e", "ConfigException e")) {
            assertTrue(!BROAD.matcher(clause + " ").find(), clause);
        }
    }
}
