package diffpure.purify;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.data.IdxDataset;
import diffpure.data.Sample;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import diffpure.sde.ForwardAlphaBar;
import diffpure.sde.ProbabilityFlowOde;
import diffpure.sde.ReverseChain;
import diffpure.sde.ReverseVpSde;
import diffpure.sde.TimeGrid;
import diffpure.solver.DdpmAncestral;
import diffpure.solver.EulerMaruyama;
import diffpure.testing.DemoFiles;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Purification keeps the demo classifier's accuracy (small budget; the 512-image figure is a
 * benchmark).
 */
class DemoPurificationTest {
    private static final int N = 64;

    @Test
    void everyPurifierKeepsCleanAccuracyWithinFifteenPoints() {
        try (PtScoreModel scoreModel = PtScoreModel.load(DemoFiles.scoreModel(), Device.cpu());
                PtClassifier clf = PtClassifier.load(DemoFiles.classifier(), Device.cpu());
                NDManager m = NDManager.newBaseManager();
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            IdxDataset data = IdxDataset.read(DemoFiles.testImages(), DemoFiles.testLabels(), 10);
            float[] pixels = new float[N * 784];
            int[] labels = new int[N];
            List<NoiseKey> keys = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                Sample s = data.get(i);
                System.arraycopy(s.image(), 0, pixels, i * 784, 784);
                labels[i] = s.label();
                keys.add(new NoiseKey(3, s.id(), Purpose.PURIFY, 0, 0));
            }
            NDArray x = m.create(pixels, new Shape(N, 1, 28, 28));
            double clean = accuracy(clf.logits(x), labels);
            var schedule = scoreModel.manifest().schedule();
            double abar = ForwardAlphaBar.DISCRETE.at(schedule, 0.1);
            TimeGrid grid = TimeGrid.of(0.1, 1e-5, 5e-3);
            ReverseChain[] chains = {
                EulerMaruyama.chain(new ReverseVpSde(schedule), grid, abar),
                EulerMaruyama.chain(new ProbabilityFlowOde(schedule), grid, abar),
                DdpmAncestral.chain(schedule, 100),
            };
            for (ReverseChain chain : chains) {
                DiffusionPurifier p = new DiffusionPurifier(scoreModel, chain);
                NDArray purified = p.purify(x, new RowNoise(keys));
                double acc = accuracy(clf.logits(purified), labels);
                assertTrue(
                        acc >= clean - 0.15,
                        chain.name() + ": purified accuracy " + acc + " vs clean " + clean);
            }
            assertTrue(clean >= 0.8, "demo classifier accuracy " + clean);
        }
    }

    private static double accuracy(NDArray logits, int[] labels) {
        long[] pred = logits.argMax(1).toLongArray();
        int ok = 0;
        for (int i = 0; i < labels.length; i++) {
            ok += pred[i] == labels[i] ? 1 : 0;
        }
        return (double) ok / labels.length;
    }
}
