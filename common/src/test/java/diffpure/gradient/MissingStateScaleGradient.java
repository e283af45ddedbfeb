package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.Classifier;
import diffpure.noise.NoiseSource;
import diffpure.purify.DiffusionPurifier;
import diffpure.sde.ChainStep;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately wrong mode for tests: the exact sweep with the state coefficient c_k of each step's Jacobian
 * dropped (a_k = a + d J^T a, the classic lost "beta y / 2" term). The finite-difference check must reject it.
 */
final class MissingStateScaleGradient implements GradientMode {
  @Override
  public RowGradient compute(
      DiffusionPurifier p, Classifier classifier, Objective objective, NDArray x, NDArray labels,
      NoiseSource noise) {
    try (NDManager scope = NDManager.subManagerOf(x);
        PtAutograd.Mode noGrad = PtAutograd.disabled()) {
      scope.tempAttachAll(x, labels);
      List<NDArray> states = new ArrayList<>();
      NDArray y = p.diffuse(x, noise);
      for (int k = 0; k < p.chain().length(); k++) {
        states.add(y);
        y = p.step(k, y, noise);
      }
      ClassifierHead.Result head = ClassifierHead.lossAndGradient(classifier, objective, p.output(y), labels);
      NDArray a = head.inputGradient().mul(0.5);
      for (int k = p.chain().length() - 1; k >= 0; k--) {
        ChainStep s = p.chain().step(k);
        // full VJP minus the (c - 1) a part: a + d J^T a
        a = p.stepVjp(k, states.get(k), a).sub(a.mul(s.stateScale() - 1));
      }
      NDArray g = a.mul(2 * p.chain().forwardSignalScale());
      return new RowGradient(scope.ret(head.loss()), scope.ret(head.logits()), scope.ret(g),
          new GradientDiagnostics(0, 0, 0, Double.NaN));
    }
  }

  @Override
  public String name() {
    return "wrong-missing-state-scale";
  }
}
