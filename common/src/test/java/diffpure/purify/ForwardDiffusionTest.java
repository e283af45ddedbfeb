package diffpure.purify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.synthetic.GaussianScoreModel;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.sde.VpSchedule;
import diffpure.solver.EulerMaruyama;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardDiffusionTest {
    @Test
    void diffusedStateHasTheVpMarginalMeanAndVariance() {
        VpSchedule schedule = VpSchedule.DEFAULT;
        double abar = ForwardAlphaBar.DISCRETE.at(schedule, 0.1);
        Shape img = new Shape(1, 16, 16);
        DiffusionPurifier p =
                new DiffusionPurifier(
                        new GaussianScoreModel(schedule, img, 0, 0.5),
                        EulerMaruyama.chain(
                                new ReverseVpSde(schedule), TimeGrid.of(0.1, 1e-5, 1e-3), abar));
        int rows = 400;
        List<NoiseKey> keys = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            keys.add(new NoiseKey(5, r, Purpose.PURIFY, 0, 0));
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.full(new Shape(rows, 1, 16, 16), 0.75f); // u = 0.5
            float[] y = p.diffuse(x, new RowNoise(keys)).toFloatArray();
            double sum = 0;
            double sq = 0;
            for (float v : y) {
                sum += v;
                sq += v * v;
            }
            int n = y.length;
            double mean = sum / n;
            double var = sq / n - mean * mean;
            assertEquals(Math.sqrt(abar) * 0.5, mean, 5 * Math.sqrt((1 - abar) / n));
            assertEquals(1 - abar, var, 5 * (1 - abar) * Math.sqrt(2.0 / n));
            // the same keys give the same draw
            assertArrayEquals(y, p.diffuse(x, new RowNoise(keys)).toFloatArray());
        }
    }
}
