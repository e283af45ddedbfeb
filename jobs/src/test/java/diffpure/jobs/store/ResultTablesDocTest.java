package diffpure.jobs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Test;

/**
 * docs/result-tables.md names exactly the columns the store declares: every column of {@link
 * SamplesTable#COLUMNS} has a row in the samples table's list and nothing else does, a row marked
 * "(schema N)" holds only columns that version N added, every field of {@link
 * SamplesTable#CHECKPOINT} is explained in the budget_checkpoints row, and the runs paragraph names
 * every column of {@link RunsTable#SCHEMA}, the rescores paragraph every column of {@link
 * RescoresTable#SCHEMA}. A column added to the store without its documentation (or documentation of
 * a column that does not exist) fails here.
 */
class ResultTablesDocTest {
    private static final Pattern CODE = Pattern.compile("`([a-z0-9_]+)`");
    private static final Pattern SCHEMA_MARK = Pattern.compile("\\(schema (\\d)");

    private static String page() throws IOException {
        Path root = Path.of(System.getProperty("diffpure.repo.root", ".."));
        return Files.readString(root.resolve("docs/result-tables.md"), StandardCharsets.UTF_8);
    }

    /** The rows of the samples table's column list: "| `a`, `b` (schema 2) | meaning |". */
    private static List<String[]> samplesRows(String page) {
        int start = page.indexOf("`<run.output>/samples`");
        int end = page.indexOf("`<run.output>/runs`");
        assertTrue(start >= 0 && end > start, "samples and runs sections not found");
        return page.substring(start, end)
                .lines()
                .filter(l -> l.startsWith("| `"))
                .map(l -> l.substring(1).split(" \\| ", 2))
                .toList();
    }

    private static Set<String> names(String text) {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = CODE.matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void samplesColumnsAreExactlyTheDeclaredOnes() throws IOException {
        Set<String> documented = new TreeSet<>();
        for (String[] row : samplesRows(page())) {
            Set<String> cols = names(row[0]);
            documented.addAll(cols);
            Matcher schema = SCHEMA_MARK.matcher(row[0]);
            if (schema.find()) {
                int since = Integer.parseInt(schema.group(1));
                for (String c : cols) {
                    SampleColumn<?> col =
                            SamplesTable.COLUMNS.stream()
                                    .filter(x -> x.name().equals(c))
                                    .findFirst()
                                    .orElseThrow(() -> new AssertionError("no column " + c));
                    assertEquals(since, col.since(), c + " is documented as schema " + since);
                }
            }
        }
        Set<String> declared = new TreeSet<>();
        SamplesTable.COLUMNS.forEach(c -> declared.add(c.name()));
        assertEquals(declared, documented, "docs/result-tables.md samples columns");
    }

    @Test
    void checkpointFieldsAndRunsColumnsAreNamed() throws IOException {
        String page = page();
        String checkpointRow =
                samplesRows(page).stream()
                        .filter(r -> r[0].contains("`budget_checkpoints`"))
                        .findFirst()
                        .orElseThrow()[1];
        for (String field : SamplesTable.CHECKPOINT.fieldNames()) {
            assertTrue(
                    names(checkpointRow).contains(field),
                    "budget_checkpoints field " + field + " not explained");
        }
        int start = page.indexOf("`<run.output>/runs`");
        String runs = page.substring(start, page.indexOf("\n\n", start));
        Set<String> named = names(runs);
        List<String> missing =
                Arrays.stream(RunsTable.SCHEMA.fields())
                        .map(StructField::name)
                        .filter(n -> !named.contains(n))
                        .toList();
        assertEquals(List.of(), missing, "runs columns not named in docs/result-tables.md");
    }

    @Test
    void rescoresColumnsAreNamed() throws IOException {
        String page = page();
        int start = page.indexOf("`<run.output>/rescores`");
        assertTrue(start >= 0, "rescores section not found");
        Set<String> named = names(page.substring(start, page.indexOf("\n\n", start)));
        List<String> missing =
                Arrays.stream(RescoresTable.SCHEMA.fields())
                        .map(StructField::name)
                        .filter(n -> !named.contains(n))
                        .toList();
        assertEquals(List.of(), missing, "rescores columns not named in docs/result-tables.md");
    }
}
