package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.Classifier;
import diffpure.noise.NoiseSource;
import diffpure.purify.ChainRunner;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.StepObserver;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.List;

/**
 * Deliberately wrong versions of the exact sweep, for tests that must show the finite-difference
 * check bites: the state coefficient c_k of each step's Jacobian dropped (the classic lost "beta y
 * / 2" term), or each step's Jacobian taken at y_{k+1} instead of y_k (an adjoint that does not
 * reconstruct).
 */
enum WrongVariantGradient implements GradientMode {
    MISSING_STATE_SCALE,
    JACOBIAN_AT_NEXT_STATE;

    @Override
    public RowGradient compute(
            DiffusionPurifier p,
            Classifier classifier,
            Objective objective,
            NDArray x,
            NDArray labels,
            NoiseSource noise) {
        try (NDManager scope = NDManager.subManagerOf(x);
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            scope.tempAttachAll(x, labels);
            List<NDArray> states = new ArrayList<>();
            NDArray y =
                    ChainRunner.over(p, noise)
                            .observedBy(
                                    new StepObserver() {
                                        @Override
                                        public void start(int from, NDArray first) {
                                            states.add(first);
                                        }

                                        @Override
                                        public void step(int k, NDArray yk, NDArray next) {
                                            states.add(next);
                                        }
                                    })
                            .runKeepingStates(0, p.chain().length(), p.diffuse(x, noise));
            ClassifierHead.Result head =
                    ClassifierHead.lossAndGradient(classifier, objective, p.output(y), labels);
            NDArray a = p.outputVjp(head.inputGradient());
            for (int k = p.chain().length() - 1; k >= 0; k--) {
                if (this == MISSING_STATE_SCALE) {
                    // the full VJP minus its (c - 1) a part: a + d J^T a
                    a =
                            p.stepVjp(k, states.get(k), a)
                                    .sub(a.mul(p.chain().step(k).stateScale() - 1));
                } else {
                    a = p.stepVjp(k, states.get(k + 1), a);
                }
            }
            NDArray g = p.inputVjp(a);
            return new RowGradient(
                    scope.ret(head.loss()),
                    scope.ret(head.logits()),
                    scope.ret(g),
                    new GradientDiagnostics(0, 0, 0, Double.NaN));
        }
    }
}
