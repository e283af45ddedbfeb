package diffpure.attack;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.UndefendedModel;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void pgdAndApgdRun() {
    try (NDManager m = NDManager.newBaseManager()) {
      UndefendedModel model = Fixtures.linear(m, 10);
      NDArray x = Fixtures.images(m, 16, new Shape(1, 8, 8), 3);
      NDArray y = Fixtures.predictedLabels(model.classifier(), x);
      long[] ids = Fixtures.ids(16);
      for (Attack a : new Attack[] {Pgd.signEpsOver4(ThreatModel.linf(0.05), 20),
          Apgd.ce(ThreatModel.linf(0.05)).withIterations(20), Apgd.dlr(ThreatModel.l2(0.5)).withIterations(20),
          Apgd.targeted(ThreatModel.linf(0.05)).withIterations(10)}) {
        long t0 = System.nanoTime();
        AttackResult r = a.run(model, x, y, ids, AttackContext.of(1));
        System.out.println(a.name() + " acc " + Fixtures.accuracy(model, r.adversarial(), y) + " "
            + r.trace(0) + " " + (System.nanoTime() - t0) / 1e6 + " ms");
        assertTrue(r.adversarial().getShape().equals(x.getShape()));
      }
    }
  }
}
