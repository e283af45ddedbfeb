package diffpure.gradient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The registry: every mode builds under its own name and has a memory figure. */
class GradientModesTest {
    @Test
    void everyRegisteredModeBuildsUnderItsNameAndHasAMemoryFigure() {
        MemoryModel m = new MemoryModel(10, 784, 1 << 20, 1 << 18);
        for (String name : GradientModes.NAMES) {
            // surrogate needs its steps; the other modes ignore the options
            GradientOptions o = new GradientOptions(5, SurrogateGradient.Noise.SUMMED);
            assertEquals(name, GradientModes.byName(name, o).name());
            assertEquals(name, GradientModes.byName(" " + name.toUpperCase() + " ", o).name());
            long bytes = m.bytesPerRow(name);
            assertEquals(bytes, GradientModes.registered(name).bytesPerRow().applyAsLong(m), name);
        }
        assertEquals(GradientPlan.AUTO, GradientModes.configurable().get(0));
        assertEquals(
                GradientModes.NAMES,
                GradientModes.configurable().subList(1, GradientModes.configurable().size()));
    }

    @Test
    void anUnknownModeIsRefusedListingTheModes() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> GradientModes.byName("fast"));
        assertEquals(
                "attack.gradient-mode must be one of [exact, checkpointed, adjoint, backprop,"
                        + " bpda, surrogate], found 'fast'",
                e.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> new MemoryModel(1, 1, 0, 0).bytesPerRow("x"));
        e = assertThrows(IllegalArgumentException.class, () -> GradientModes.byName("surrogate"));
        assertEquals("attack.surrogate-steps must be >= 1, found 0", e.getMessage());
    }
}
