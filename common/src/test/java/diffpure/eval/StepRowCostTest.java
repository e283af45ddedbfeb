package diffpure.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import diffpure.config.ExperimentConfig;
import diffpure.experiment.Experiments;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which chain each kind of row goes through, by gradient mode and evaluation. */
class StepRowCostTest {
    private static final int ND = 100;

    private static ExperimentConfig config(String... set) {
        List<String> all = new ArrayList<>(List.of(set));
        return Experiments.load(null, all).config();
    }

    @Test
    void exactGradientsAndForwardsGoThroughTheDefence() {
        assertEquals(
                StepRowCost.ofDefence(ND),
                StepRowCost.forRun(config("attack.gradient-mode=exact"), ND, 10));
    }

    @Test
    void aSurrogateGradientRowAddsTheDefenceEvaluationThatJudgesIt() {
        ExperimentConfig c =
                config(
                        "attack.gradient-mode=surrogate",
                        "attack.surrogate-steps=10",
                        "attack.surrogate-noise=independent");
        assertEquals(new StepRowCost(10 + ND, ND, ND), StepRowCost.forRun(c, ND, 10));
    }

    @Test
    void theSurrogateThatIsTheDefenceChainCostsAsExact() {
        ExperimentConfig c =
                config(
                        "attack.gradient-mode=surrogate",
                        "attack.surrogate-steps=" + ND,
                        "attack.surrogate-noise=summed");
        assertEquals(StepRowCost.ofDefence(ND), StepRowCost.forRun(c, ND, ND));
    }

    @Test
    void judgedOnTheSurrogateOnlyVotesGoThroughTheDefence() {
        ExperimentConfig c =
                config(
                        "attack.gradient-mode=surrogate",
                        "attack.surrogate-steps=10",
                        "attack.surrogate-evaluation=checkpoints");
        StepRowCost cost = StepRowCost.forRun(c, ND, 10);
        assertEquals(new StepRowCost(10, 10, ND), cost);
        assertEquals(3 * 10 + 4 * 10 + 5 * ND, cost.of(3, 4, 5));
    }

    @Test
    void diffHammersGraftedRowsGoThroughTheGraftingGridOnly() {
        ExperimentConfig c =
                config(
                        "attack.name=diffhammer",
                        "attack.eot=1",
                        "attack.gradient-mode=surrogate",
                        "attack.surrogate-steps=5");
        assertEquals(new StepRowCost(5, ND, ND), StepRowCost.forRun(c, ND, 5));
    }

    @Test
    void aNegativeCostIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new StepRowCost(-1, 1, 1));
    }
}
