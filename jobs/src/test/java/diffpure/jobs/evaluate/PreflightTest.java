package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver refuses, before launching, what would otherwise first fail on an executor. */
class PreflightTest {
    @TempDir static Path tmp;

    private static String refused(String... overrides) {
        RuntimeException e =
                assertThrows(
                        RuntimeException.class,
                        () ->
                                Preflight.check(
                                        TinyRuns.config(tmp, overrides).config(),
                                        new Configuration()));
        return e.getMessage();
    }

    @Test
    void theDemoConfigPasses() {
        Preflight.check(TinyRuns.config(tmp).config(), new Configuration());
    }

    @Test
    void mismatchesWithTheManifestsAreRefusedNamingTheKey() {
        String classes = refused("data.classes=5");
        assertTrue(
                classes.startsWith("data.classes = 5 but the classifier ")
                        && classes.endsWith(" (model.classifier) has 10 classes"),
                classes);
        String tStar = refused("purify.t-star=0.9");
        assertTrue(tStar.startsWith("purify.t-star = 0.9 is above the largest time "), tStar);
        String eot = refused("attack.eot=1");
        assertTrue(
                eot.startsWith("pgd-eot on the randomized model ")
                        && eot.contains(
                                " needs attack.eot >= 2 (EOT; attack.evaluations for diffhammer), found 1"),
                eot);
        String bpda = refused("attack.name=bpda-eot");
        assertTrue(
                bpda.equals("attack.gradient-mode must be bpda for bpda-eot, found 'exact'"), bpda);
        String restarts = refused("attack.name=square", "attack.restarts=2");
        assertTrue(restarts.startsWith("attack.restarts must be 1 for square"), restarts);
        String model =
                refused("model.score-model=" + TinyRuns.ROOT.resolve("models/demo/classifier.pt"));
        assertTrue(
                model.startsWith("model.score-model = ")
                        && model.endsWith(" is a classifier model, not a score model"),
                model);
    }
}
