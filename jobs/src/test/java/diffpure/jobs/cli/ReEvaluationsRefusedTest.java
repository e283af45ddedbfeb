package diffpure.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import diffpure.experiment.Experiments;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * attack.re-evaluations is refused by the evaluation job, not dropped: its figure has no column in
 * the samples table yet. DiffAttack stores nothing new and is accepted.
 */
class ReEvaluationsRefusedTest {
    private static diffpure.config.ExperimentConfig load(String... sets) {
        return Experiments.load(null, List.of(sets), Map.of(), new Properties()).config();
    }

    @Test
    void reEvaluationsAreRefusedByNameAndDiffAttackAccepted() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                EvaluateCommand.refuseUnstored(
                                        load(
                                                "attack.name=autoattack-rand",
                                                "attack.re-evaluations=20")));
        assertEquals(
                "attack.re-evaluations: the samples table does not store the re-evaluated share"
                        + " yet (`diffpure attack --attack rand --re-evaluations 20` reports it"
                        + " beside fresh votes); leave it 0 (found 20)",
                e.getMessage());
        EvaluateCommand.refuseUnstored(load("attack.name=diffattack"));
        EvaluateCommand.refuseUnstored(load("attack.name=autoattack-rand"));
    }
}
