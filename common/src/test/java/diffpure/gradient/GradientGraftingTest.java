package diffpure.gradient;

import static diffpure.gradient.GradientTesting.maxRelativeDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.Classifier;
import diffpure.model.synthetic.AnalyticDefence;
import diffpure.model.synthetic.LinearClassifier;
import diffpure.model.synthetic.MlpScoreModel;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import diffpure.sde.CoarseChain;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.VpSchedule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gradient grafting: on the defence's own grid it is exact's gradient (both variants); on a coarser
 * grid with the coarse chain's states it is the coarse chain's exact gradient for the upstream
 * gradient at its own output, and the official fine-state variant differs from it.
 */
class GradientGraftingTest {
    private static NDManager manager;
    private static AnalyticDefence analytic;
    private static MlpScoreModel mlp;
    private static LinearClassifier linear;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        analytic = AnalyticDefence.standard(manager);
        mlp = new MlpScoreModel(manager, new Shape(1, 4, 4), 32, 1.5, 5);
        linear = new LinearClassifier(manager, new Shape(1, 4, 4), 10, 3);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private record Case(
            DiffusionPurifier defence,
            Classifier classifier,
            NDArray x,
            NDArray labels,
            RowNoise noise) {}

    private static List<Case> cases() {
        PurifierSpec sde = PurifierSpec.reference(0.1).withDt(5e-3);
        PurifierSpec ddpm =
                new PurifierSpec(PurifierSpec.Kind.DDPM, 0, 0, 0, 20, ForwardAlphaBar.DISCRETE);
        List<Case> out = new ArrayList<>();
        out.add(make(analytic.purifier(sde), analytic.classifier(), 4));
        out.add(make(sde.build(mlp, VpSchedule.DEFAULT), linear, 3));
        out.add(make(ddpm.build(mlp, VpSchedule.DEFAULT), linear, 3));
        return out;
    }

    private static Case make(DiffusionPurifier p, Classifier c, int rows) {
        NDArray x = GradientTesting.images(manager, rows, p.inputShape(), 17);
        int[] labels = new int[rows];
        List<NoiseKey> keys = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            labels[r] = r % c.classes();
            keys.add(new NoiseKey(9, 500 + r, Purpose.PURIFY, 3, r));
        }
        return new Case(p, c, x, manager.create(labels), new RowNoise(keys));
    }

    /** The BPDA gradient of the case's draw: dL/dx' at the defence's purified image. */
    private static NDArray upstream(Case c) {
        return new BpdaGradient()
                .compute(
                        c.defence(),
                        c.classifier(),
                        Objective.CROSS_ENTROPY,
                        c.x(),
                        c.labels(),
                        c.noise())
                .gradient();
    }

    @Test
    void onTheDefencesOwnGridBothVariantsAreExactsGradient() {
        List<Case> all = new ArrayList<>(cases());
        // DiffHammer's official defence kind: a DDPM sampler respaced (20 discrete steps to 10)
        all.add(
                make(
                        new PurifierSpec(
                                        PurifierSpec.Kind.DDPM,
                                        0,
                                        0,
                                        0,
                                        20,
                                        ForwardAlphaBar.DISCRETE,
                                        10)
                                .build(mlp, VpSchedule.DEFAULT),
                        linear,
                        3));
        for (Case c : all) {
            NDArray exact =
                    StoredStatesGradient.exact()
                            .compute(
                                    c.defence(),
                                    c.classifier(),
                                    Objective.CROSS_ENTROPY,
                                    c.x(),
                                    c.labels(),
                                    c.noise())
                            .gradient();
            int n = c.defence().chain().length();
            for (GradientGrafting.States s : GradientGrafting.States.values()) {
                for (int steps : new int[] {0, n}) {
                    NDArray g =
                            new GradientGrafting(steps, s)
                                    .inputGradient(c.defence(), c.x(), c.noise(), upstream(c));
                    double err = maxRelativeDifference(g, exact);
                    assertTrue(err <= 1e-6, c.defence().describe() + " " + s + ": " + err);
                }
            }
        }
    }

    @Test
    void onACoarserGridTheCoarseStatesGiveTheCoarseChainsGradientAndTheAuthorsStatesDiffer() {
        for (Case c : cases()) {
            GradientGrafting coarse = new GradientGrafting(10, GradientGrafting.States.COARSE);
            CoarseChain chain = coarse.coarseFor(c.defence());
            assertEquals(10, chain.length());
            // the upstream gradient at the coarse chain's own output makes grafting the surrogate
            DiffusionPurifier sur = c.defence().withChain(chain.chain());
            CoarseNoise summed = new CoarseNoise(c.noise(), chain);
            NDArray atCoarseOutput =
                    new BpdaGradient()
                            .compute(
                                    sur,
                                    c.classifier(),
                                    Objective.CROSS_ENTROPY,
                                    c.x(),
                                    c.labels(),
                                    summed)
                            .gradient();
            NDArray grafted = coarse.inputGradient(c.defence(), c.x(), c.noise(), atCoarseOutput);
            NDArray surrogate =
                    new SurrogateGradient(10, SurrogateGradient.Noise.SUMMED)
                            .compute(
                                    c.defence(),
                                    c.classifier(),
                                    Objective.CROSS_ENTROPY,
                                    c.x(),
                                    c.labels(),
                                    c.noise())
                            .gradient();
            String what = c.defence().describe();
            assertTrue(maxRelativeDifference(grafted, surrogate) <= 1e-6, what);
            NDArray authors =
                    new GradientGrafting(10, GradientGrafting.States.AUTHORS)
                            .inputGradient(c.defence(), c.x(), c.noise(), atCoarseOutput);
            assertTrue(maxRelativeDifference(authors, grafted) > 1e-4, what);
        }
    }

    @Test
    void costsAndNamedErrors() {
        Case c = cases().get(0);
        assertEquals(
                "grafting per row: 5 x (F + V)",
                new GradientGrafting(5, GradientGrafting.States.COARSE).cost(c.defence()));
        assertEquals(
                "grafting per row: 20 x F + 5 x (F + V)",
                new GradientGrafting(5, GradientGrafting.States.AUTHORS).cost(c.defence()));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> GradientGrafting.States.parse("fine"));
        assertEquals("attack.grafting must be coarse or authors, found 'fine'", e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                GradientGrafting.of(
                                        new SurrogateGradient(
                                                5, SurrogateGradient.Noise.INDEPENDENT),
                                        GradientGrafting.States.COARSE));
        assertTrue(e.getMessage().contains("attack.surrogate-noise must be summed"));
        assertEquals(
                20,
                GradientGrafting.of(StoredStatesGradient.exact(), GradientGrafting.States.COARSE)
                        .stepsFor(c.defence()));
    }
}
