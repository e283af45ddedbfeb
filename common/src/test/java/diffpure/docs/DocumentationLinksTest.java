package diffpure.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * README.md and docs/*.md read well on the repository's web view: every relative link (there and in
 * BENCHMARKS.md, CHANGELOG.md) names a file of the repository (and, with a #fragment into a
 * Markdown file, one of its headings, anchored as GitHub anchors them), the README stays a first
 * screen (under 250 lines), and no page cites the team's notes outside the repository.
 */
class DocumentationLinksTest {
    private static final Pattern LINK = Pattern.compile("\\[[^\\]\\n]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} (.+)$");
    private static final Pattern OUTSIDE_NOTES =
            Pattern.compile("DESIGN\\.md|TOOLCHAIN\\.md|FIELD\\.md|\\.\\./shared/(?!reference)");

    private static Path root() {
        return Path.of(System.getProperty("diffpure.repo.root", ".."));
    }

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(root().resolve("README.md"));
        try (Stream<Path> s = Files.list(root().resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /** The pages and the repository's other top-level Markdown (measurements, history). */
    private static List<Path> linkingPages() throws IOException {
        List<Path> pages = pages();
        for (String other : List.of("BENCHMARKS.md", "CHANGELOG.md")) {
            if (Files.exists(root().resolve(other))) {
                pages.add(root().resolve(other));
            }
        }
        return pages;
    }

    /** The text outside fenced code blocks and inline code spans (links there are not links). */
    static String prose(String markdown) {
        return withoutFences(markdown).replaceAll("`[^`\\n]*`", "");
    }

    static String withoutFences(String markdown) {
        return markdown.replaceAll("(?ms)^```.*?^```[^\\n]*$", "");
    }

    /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
    static String anchor(String heading) {
        return heading.strip()
                .toLowerCase(Locale.ROOT)
                .replaceAll("[^\\p{L}\\p{N}_\\- ]", "")
                .replace(' ', '-');
    }

    static Set<String> anchors(String markdown) {
        Set<String> out = new HashSet<>();
        Matcher m = HEADING.matcher(withoutFences(markdown));
        while (m.find()) {
            out.add(anchor(m.group(1)));
        }
        return out;
    }

    @Test
    void everyRelativeLinkResolvesToAFileAndHeading() throws IOException {
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : linkingPages()) {
            String text = Files.readString(page, StandardCharsets.UTF_8);
            Matcher m = LINK.matcher(prose(text));
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z]+:.*")) {
                    continue; // https:, mailto:
                }
                checked++;
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                String fragment = hash < 0 ? null : target.substring(hash + 1);
                Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(root().relativize(page) + ": " + target + " (no such file)");
                } else if (fragment != null
                        && resolved.toString().endsWith(".md")
                        && !anchors(Files.readString(resolved, StandardCharsets.UTF_8))
                                .contains(fragment)) {
                    broken.add(root().relativize(page) + ": " + target + " (no such heading)");
                }
            }
        }
        assertEquals(
                List.of(),
                broken,
                "broken links in README.md, docs/, BENCHMARKS.md or CHANGELOG.md");
        assertTrue(checked > 20, "expected the pages to link each other; found " + checked);
    }

    @Test
    void readmeIsAFirstScreenAndNoPageCitesNotesOutsideTheRepository() throws IOException {
        long lines = Files.readAllLines(root().resolve("README.md")).size();
        assertTrue(lines < 250, "README.md has " + lines + " lines; move detail to docs/");
        for (Path page : pages()) {
            Matcher m = OUTSIDE_NOTES.matcher(Files.readString(page, StandardCharsets.UTF_8));
            assertTrue(
                    !m.find(),
                    () ->
                            root().relativize(page)
                                    + " cites "
                                    + m.group()
                                    + ", not in the repository");
        }
    }

    @Test
    void anchorsFollowGitHub() {
        assertEquals(
                "when-an-attack-counts-a-sample-as-broken-one-definition-for-every-attack",
                anchor(
                        "When an attack counts a sample as broken (one definition for every attack)"));
        assertEquals(
                "experiments-the-papers-settings", anchor("Experiments: the paper's settings"));
        assertEquals(Set.of("a-b"), anchors("```\n# not a heading\n```\n## A `b`\n"));
    }
}
