package diffpure.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md is generated from reference.conf (every key, its default and the comment
 * above it, in file order), so the reference cannot drift from the defaults the code reads. When
 * reference.conf changes, this test fails and writes the new page to
 * common/target/configuration.md; copy it over docs/configuration.md.
 */
class ConfigurationReferenceTest {
    private static final String REFERENCE = "common/src/main/resources/reference.conf";
    private static final String PAGE = "docs/configuration.md";

    private static Path root() {
        return Path.of(System.getProperty("diffpure.repo.root", ".."));
    }

    @Test
    void docsConfigurationMdIsGeneratedFromReferenceConf() throws IOException {
        String expected = render(Files.readString(root().resolve(REFERENCE)));
        Path page = root().resolve(PAGE);
        String actual = Files.exists(page) ? Files.readString(page, StandardCharsets.UTF_8) : "";
        if (!expected.equals(actual)) {
            Path fresh = root().resolve("common/target/configuration.md");
            Files.createDirectories(fresh.getParent());
            Files.writeString(fresh, expected, StandardCharsets.UTF_8);
            assertEquals(
                    expected,
                    actual,
                    PAGE
                            + " is stale against "
                            + REFERENCE
                            + ": cp "
                            + fresh.normalize()
                            + " "
                            + PAGE);
        }
    }

    @Test
    void everyLeafKeyIsDocumentedWithItsDefault() throws IOException {
        String conf = Files.readString(root().resolve(REFERENCE));
        String page = render(conf);
        var leaves = ConfigFactory.parseString(conf).entrySet();
        assertTrue(leaves.size() > 50, "reference.conf has " + leaves.size() + " keys");
        for (Map.Entry<String, ConfigValue> e : leaves) {
            String row = "| `" + e.getKey() + "` | `" + value(e.getValue()) + "` |";
            assertTrue(page.contains(row), "no row " + row);
        }
        assertTrue(render("a {\n  # why\n  b = 1\n}\n").contains("| `a.b` | `1` | why |"));
    }

    /** The page for a reference.conf text. */
    static String render(String conf) {
        ConfigObject rootObject =
                ConfigFactory.parseString(
                                conf, ConfigParseOptions.defaults().setOriginDescription(REFERENCE))
                        .root();
        StringBuilder out = new StringBuilder();
        out.append("# Configuration reference\n\n")
                .append("<!-- Generated from ")
                .append(REFERENCE)
                .append(
                        " by ConfigurationReferenceTest; do not edit. To regenerate: mvn -B -pl common test")
                .append(
                        " -Dtest=ConfigurationReferenceTest, then copy common/target/configuration.md here. -->\n\n")
                .append(
                        "Every setting, its default and what it does, in the order of [`reference.conf`](")
                .append("../")
                .append(REFERENCE)
                .append(
                        "). How an experiment file, the environment and the command line override them:")
                .append(" [user-guide.md, \"Configuration\"](user-guide.md#configuration).\n\n");
        String header = fileHeader(conf);
        if (!header.isEmpty()) {
            out.append(header).append("\n\n");
        }
        List<Map.Entry<String, ConfigValue>> sections = inFileOrder(rootObject);
        out.append("## Contents\n\n");
        for (var s : sections) {
            out.append("- [").append(s.getKey()).append("](#").append(s.getKey()).append(")\n");
        }
        for (var s : sections) {
            out.append("\n## ").append(s.getKey()).append("\n\n");
            String intro = comment(s.getValue());
            if (!intro.isEmpty()) {
                out.append(intro).append("\n\n");
            }
            out.append("| key | default | what it does |\n|---|---|---|\n");
            rows(out, s.getKey(), s.getValue());
        }
        return out.toString();
    }

    private static void rows(StringBuilder out, String path, ConfigValue v) {
        if (v.valueType() == ConfigValueType.OBJECT && !((ConfigObject) v).isEmpty()) {
            for (var e : inFileOrder((ConfigObject) v)) {
                String child = path + "." + e.getKey();
                if (e.getValue().valueType() == ConfigValueType.OBJECT) {
                    String c = comment(e.getValue());
                    if (!c.isEmpty()) {
                        out.append("| `")
                                .append(child)
                                .append(".*` | | ")
                                .append(cell(c))
                                .append(" |\n");
                    }
                }
                rows(out, child, e.getValue());
            }
            return;
        }
        out.append("| `")
                .append(path)
                .append("` | `")
                .append(value(v))
                .append("` | ")
                .append(cell(comment(v)))
                .append(" |\n");
    }

    private static List<Map.Entry<String, ConfigValue>> inFileOrder(ConfigObject o) {
        List<Map.Entry<String, ConfigValue>> entries = new ArrayList<>(o.entrySet());
        entries.sort(Comparator.comparingInt(e -> e.getValue().origin().lineNumber()));
        return entries;
    }

    private static String value(ConfigValue v) {
        return v.render(ConfigRenderOptions.concise()).replace("|", "\\|");
    }

    private static String comment(ConfigValue v) {
        return String.join(" ", v.origin().comments().stream().map(String::strip).toList()).strip();
    }

    /** The comment lines that open the file, before its first blank line. */
    private static String fileHeader(String conf) {
        List<String> lines = new ArrayList<>();
        for (String line : conf.split("\n", -1)) {
            if (!line.startsWith("#")) {
                break;
            }
            lines.add(line.substring(1).strip());
        }
        return String.join(" ", lines);
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }
}
