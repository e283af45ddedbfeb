package diffpure.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The notebooks register the same {@code strongest} view as {@code diffpure sql} and the report
 * (its numbers are checked against a pass's rows in StrongestEvidenceJobTest).
 */
class StrongestViewTest {
    private static final Path ROOT = Path.of(System.getProperty("diffpure.repo.root", ".."));

    @Test
    void theNotebooksFileIsTheGeneratedText() throws IOException {
        Path generated = Path.of("target", "strongest_view.sql");
        Files.createDirectories(generated.getParent());
        Files.writeString(generated, StrongestView.file());
        assertEquals(
                StrongestView.file(),
                Files.readString(ROOT.resolve("notebooks/strongest_view.sql")),
                "notebooks/strongest_view.sql is out of date: copy jobs/" + generated + " there");
    }

    @Test
    void everyFreshVoteMetricIsAColumnAndDuringAttackIsNot() {
        String s = StrongestView.statement("rescores", "strongest");
        for (String c :
                new String[] {
                    "robust_single",
                    "robust_majority",
                    "robust_mean",
                    "robust_worst",
                    "robust_any",
                    "robust_averaged_logit"
                }) {
            assertTrue(s.contains(" AS " + c), c + " in " + s);
        }
        assertTrue(!s.contains("during"), s);
    }
}
