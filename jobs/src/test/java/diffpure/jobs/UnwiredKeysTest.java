package diffpure.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import diffpure.experiment.Experiments;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Keys common/ reads but the evaluation job does not act on yet are refused, not ignored. */
class UnwiredKeysTest {
    private static diffpure.config.ExperimentConfig load(String... sets) {
        return Experiments.load(null, List.of(sets), Map.of(), new Properties()).config();
    }

    @Test
    void stoppingRulesAreRefusedByNameAndBudgetCheckpointsAccepted() {
        EvaluateCommand.refuseUnwired(load());
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> EvaluateCommand.refuseUnwired(load("eval.target-half-width=0.05")));
        assertEquals(
                "eval.target-half-width and run.budget: the evaluation job does not stop on a rule"
                        + " yet; leave both 0 (found 0.05 and 0)",
                e.getMessage());
        // Budget checkpoints are stored (samples column budget_checkpoints): accepted.
        EvaluateCommand.refuseUnwired(load("attack.budget-checkpoints=[5, 10]"));
    }
}
