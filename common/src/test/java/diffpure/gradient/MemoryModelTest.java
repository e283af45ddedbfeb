package diffpure.gradient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The memory model's ordering and scaling, and the plans it gives. */
class MemoryModelTest {
    private static final long MIB = 1 << 20;

    /** The demo's figures: 28×28 states, U-Net 3 MiB and CNN 0.84 MiB per image. */
    private static MemoryModel demo(int steps) {
        return new MemoryModel(steps, 784, 3 * MIB, 880_000);
    }

    @Test
    void modesOrderAsTheyKeepMoreAndScaleWithNAsDocumented() {
        for (int n : new int[] {10, 100, 1000}) {
            MemoryModel m = demo(n);
            long backprop = m.bytesPerRow("backprop");
            long exact = m.bytesPerRow("exact");
            long checkpointed = m.bytesPerRow("checkpointed");
            long adjoint = m.bytesPerRow("adjoint");
            assertTrue(backprop > exact, "N=" + n);
            assertTrue(exact > checkpointed, "N=" + n);
            assertTrue(checkpointed > adjoint, "N=" + n);
            assertTrue(adjoint > m.bytesPerRow("bpda"), "N=" + n);
            assertTrue(m.bytesPerRow("bpda") >= m.bytesPerRow(MemoryModel.FORWARD), "N=" + n);
        }
        MemoryModel a = demo(100);
        MemoryModel b = demo(1000);
        long s = a.stateBytes();
        assertEquals(3136, s);
        // backprop: one step's graph and its input state per step
        assertEquals(900 * (3 * MIB + s), b.bytesPerRow("backprop") - a.bytesPerRow("backprop"));
        // exact: one state per step
        assertEquals(900 * s, b.bytesPerRow("exact") - a.bytesPerRow("exact"));
        // checkpointed: ceil(N/k) + k states with k = ceil(sqrt N): 10 + 10 at 100, 32 + 32 at 1000
        assertEquals(44 * s, b.bytesPerRow("checkpointed") - a.bytesPerRow("checkpointed"));
        assertEquals(a.bytesPerRow("adjoint"), b.bytesPerRow("adjoint"));
        // a back-propagated graph and its gradients; the larger of the two models' counts
        long t = MemoryModel.TEMP_STATES * s;
        assertEquals(2 * 3 * MIB + t, a.bytesPerRow("adjoint"));
        assertEquals(3 * MIB + t, a.bytesPerRow("bpda"));
        assertEquals(3 * MIB + t, a.bytesPerRow(MemoryModel.FORWARD));
        MemoryModel bigClassifier = new MemoryModel(100, 784, MIB, 5 * MIB);
        assertEquals(10 * MIB + t, bigClassifier.bytesPerRow("adjoint"));
        assertEquals(10 * MIB + t, bigClassifier.bytesPerRow("bpda"));
        assertEquals(5 * MIB + t, bigClassifier.bytesPerRow(MemoryModel.FORWARD));
        assertEquals(100 * (MIB + s) + 10 * MIB + t, bigClassifier.bytesPerRow("backprop"));
    }

    @Test
    void rowsPerCallComeFromTheBudgetPerModeAndTheSmallerLimitWins() {
        MemoryModel m = demo(1000);
        long exact = m.bytesPerRow("exact");
        GradientPlan p =
                GradientPlan.resolve("exact", new GradientPlan.Limits(10 * exact + 5, 0, 8), 80, m);
        assertEquals("exact", p.mode());
        assertEquals(10, p.gradientRows());
        // a forward without a graph keeps less, so more rows fit
        assertEquals(10 * exact / m.bytesPerRow(MemoryModel.FORWARD), p.forwardRows());
        assertTrue(p.forwardRows() > p.gradientRows());
        GradientPlan capped =
                GradientPlan.resolve("exact", new GradientPlan.Limits(10 * exact, 4, 8), 80, m);
        assertEquals(4, capped.gradientRows());
        assertEquals(4, capped.forwardRows());
        GradientPlan budgetWins =
                GradientPlan.resolve("exact", new GradientPlan.Limits(10 * exact, 16, 8), 80, m);
        assertEquals(10, budgetWins.gradientRows());
        assertEquals(16, budgetWins.forwardRows());
        // no budget: micro-batch-rows as it always was, the memory model is not needed
        GradientPlan rowsOnly =
                GradientPlan.resolve("checkpointed", new GradientPlan.Limits(0, 3, 8), 80, null);
        assertEquals(new GradientPlan("checkpointed", "checkpointed", 3, 3), rowsOnly);
    }

    @Test
    void autoPicksBackpropThenExactThenCheckpointedAsTheBudgetShrinks() {
        MemoryModel m = demo(100);
        int rows = 8;
        long backprop = m.bytesPerRow("backprop");
        long exact = m.bytesPerRow("exact");
        long checkpointed = m.bytesPerRow("checkpointed");
        GradientPlan whole =
                GradientPlan.resolve(
                        "auto", new GradientPlan.Limits(rows * backprop, 0, 8), rows, m);
        assertEquals("backprop", whole.mode());
        assertEquals("auto", whole.configuredMode());
        assertEquals(rows, whole.gradientRows());
        // one row short of the whole call (8 rows = backprop-min-rows' default): exact, which fits
        // every row at once
        GradientPlan notWhole =
                GradientPlan.resolve(
                        "auto", new GradientPlan.Limits(rows * backprop - 1, 0, 8), rows, m);
        assertEquals("exact", notWhole.mode());
        assertTrue(notWhole.gradientRows() >= rows);
        // with backprop-min-rows 4, backprop micro-batched while 4 rows fit
        GradientPlan.Limits minRows4 = new GradientPlan.Limits(4 * backprop, 0, 4);
        assertEquals("backprop", GradientPlan.resolve("auto", minRows4, rows, m).mode());
        assertEquals(4, GradientPlan.resolve("auto", minRows4, rows, m).gradientRows());
        // one row short of backprop-min-rows: exact, which fits every row at once
        GradientPlan.Limits short4 = new GradientPlan.Limits(4 * backprop - 1, 0, 4);
        GradientPlan exactWins = GradientPlan.resolve("auto", short4, rows, m);
        assertEquals("exact", exactWins.mode());
        assertTrue(exactWins.gradientRows() >= rows);
        // micro-batch-rows caps exact to the same rows: backprop wins at that size
        GradientPlan capped =
                GradientPlan.resolve(
                        "auto", new GradientPlan.Limits(4 * backprop - 1, 3, 4), rows, m);
        assertEquals("backprop", capped.mode());
        assertEquals(3, capped.gradientRows());
        GradientPlan oneExact =
                GradientPlan.resolve("auto", new GradientPlan.Limits(exact, 0, 8), rows, m);
        assertEquals("exact", oneExact.mode());
        assertEquals(1, oneExact.gradientRows());
        GradientPlan cp =
                GradientPlan.resolve("auto", new GradientPlan.Limits(exact - 1, 0, 8), rows, m);
        assertEquals("checkpointed", cp.mode());
        assertEquals(1, cp.gradientRows());
        IllegalArgumentException none =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                GradientPlan.resolve(
                                        "auto",
                                        new GradientPlan.Limits(checkpointed - 1, 0, 8),
                                        rows,
                                        m));
        assertTrue(
                none.getMessage().startsWith("runtime.memory-budget = ")
                        && none.getMessage().contains("not even checkpointed fits")
                        && none.getMessage().contains("(" + checkpointed + " bytes)"),
                none.getMessage());
        IllegalArgumentException noBudget =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                GradientPlan.resolve(
                                        "auto", new GradientPlan.Limits(0, 0, 8), rows, m));
        assertTrue(
                noBudget.getMessage().contains("set runtime.memory-budget"), noBudget.getMessage());
        IllegalArgumentException tooSmall =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                GradientPlan.resolve(
                                        "backprop", new GradientPlan.Limits(exact, 0, 8), rows, m));
        assertTrue(
                tooSmall.getMessage().contains("one row of gradient mode backprop needs")
                        && tooSmall.getMessage().contains("(" + backprop + " bytes)"),
                tooSmall.getMessage());
    }
}
