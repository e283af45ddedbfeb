package diffpure.sde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.solver.DdpmAncestral;
import diffpure.solver.EulerMaruyama;
import org.junit.jupiter.api.Test;

class ScheduleAndGridTest {
    private final VpSchedule schedule = VpSchedule.DEFAULT;

    @Test
    void referenceGridHasOneStepPerMilliTimeAndAShortLastStep() {
        TimeGrid grid = TimeGrid.of(0.1, 1e-5, 1e-3);
        assertEquals(100, grid.steps());
        assertEquals(0.1, grid.time(0));
        assertEquals(1e-5, grid.time(100));
        assertEquals(1e-3, grid.stepSize(0), 1e-15);
        assertEquals(1e-3 - 1e-5, grid.stepSize(99), 1e-15);
        assertEquals(20, TimeGrid.of(0.1, 1e-5, 5e-3).steps());
    }

    @Test
    void badGridValuesNameTheirKey() {
        assertMessage(() -> TimeGrid.of(0.1, 1e-5, 0), "purify.dt must be > 0, found 0.0");
        assertMessage(() -> TimeGrid.of(0.1, 1e-5, -1e-3), "purify.dt must be > 0");
        assertMessage(
                () -> TimeGrid.of(1.5, 1e-5, 1e-3), "purify.t-star must be in (0, 1], found 1.5");
        assertMessage(
                () -> TimeGrid.of(0, 1e-5, 1e-3), "purify.t-star must be in (0, 1], found 0.0");
        assertMessage(() -> TimeGrid.of(0.1, 0.2, 1e-3), "purify.t-end must be in [0, t-star)");
    }

    @Test
    void alphaBarMatchesClosedFormAndDiscreteSchedule() {
        // abar(0.1) = exp(-0.01 - 0.5 * 19.9 * 0.01)
        assertEquals(Math.exp(-0.01 - 0.0995), schedule.alphaBar(0.1), 1e-15);
        assertEquals(Math.sqrt(1 - schedule.alphaBar(0.3)), schedule.sigma(0.3), 1e-12);
        // The discrete product at index 99 is within 1e-3 of the continuous value at t = 0.1.
        double discrete = ForwardAlphaBar.DISCRETE.at(schedule, 0.1);
        assertEquals(schedule.discreteAlphaBar(99), discrete);
        assertEquals(schedule.alphaBar(0.1), discrete, 1e-3);
        assertEquals(1 - 1e-4, schedule.discreteAlphaBar(0), 1e-15);
        assertMessage(() -> VpSchedule.discreteIndex(0.1234), "not a whole number");
    }

    @Test
    void eulerMaruyamaCoefficientsFollowTheReverseSde() {
        ReverseChain chain =
                EulerMaruyama.chain(new ReverseVpSde(schedule), TimeGrid.of(0.1, 1e-5, 1e-3), 0.9);
        ChainStep s = chain.step(0);
        double beta = schedule.beta(0.1);
        assertEquals(1 + 1e-3 * beta / 2, s.stateScale(), 1e-12);
        assertEquals(-1e-3 * beta / schedule.sigma(0.1), s.epsScale(), 1e-12);
        assertEquals(Math.sqrt(beta * 1e-3), s.noiseScale(), 1e-12);
        ReverseChain ode =
                EulerMaruyama.chain(
                        new ProbabilityFlowOde(schedule), TimeGrid.of(0.1, 1e-5, 1e-3), 0.9);
        assertEquals(s.epsScale() / 2, ode.step(0).epsScale(), 1e-12);
        assertTrue(ode.steps().stream().noneMatch(ChainStep::isStochastic));
    }

    @Test
    void ddpmAncestralUsesPosteriorVarianceAndMidpointTimeLabels() {
        ReverseChain chain = DdpmAncestral.chain(schedule, 500);
        assertEquals(500, chain.length());
        assertEquals(schedule.discreteAlphaBar(499), chain.alphaBarStar(), 1e-12);
        ChainStep first = chain.step(0);
        assertEquals(499, (int) Math.floor((float) first.modelTime() * 1000));
        double b = schedule.discreteBeta(499);
        double expected =
                Math.sqrt(
                        b
                                * (1 - schedule.discreteAlphaBar(498))
                                / (1 - schedule.discreteAlphaBar(499)));
        assertEquals(expected, first.noiseScale(), 1e-12);
        assertEquals(0, chain.step(499).noiseScale());
        assertEquals(0, (int) Math.floor((float) chain.step(499).modelTime() * 1000));
        assertMessage(
                () -> DdpmAncestral.chain(schedule, 0), "purify.ddpm-steps must be in [1, 1000]");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable run, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, run);
        assertTrue(
                e.getMessage().contains(fragment),
                "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
