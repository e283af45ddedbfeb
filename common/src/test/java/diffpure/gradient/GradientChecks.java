package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.model.Classifier;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;

/** The checks every gradient test runs, on whatever purifier and classifier it builds. */
final class GradientChecks {
    final DiffusionPurifier purifier;
    final Classifier classifier;
    final NDArray x;
    final NDArray labels;
    final long[] ids;
    final int eot;

    GradientChecks(
            DiffusionPurifier purifier,
            Classifier classifier,
            NDArray x,
            NDArray labels,
            long[] ids,
            int eot) {
        this.purifier = purifier;
        this.classifier = classifier;
        this.x = x;
        this.labels = labels;
        this.ids = ids;
        this.eot = eot;
    }

    /** The same checks on copies of the inputs owned by another manager (one per thread). */
    GradientChecks copyTo(NDManager m) {
        NDArray xc = m.create(x.toFloatArray(), x.getShape());
        NDArray lc = m.create(labels.toIntArray());
        return new GradientChecks(purifier, classifier, xc, lc, ids, eot);
    }

    TargetModel.Evaluation evaluate(GradientMode mode, int microBatchRows) {
        return evaluate(mode, microBatchRows, x);
    }

    TargetModel.Evaluation evaluate(GradientMode mode, int microBatchRows, NDArray at) {
        DefendedModel model =
                new DefendedModel(purifier, classifier, mode, eot, microBatchRows, 42);
        return model.lossAndGradient(at, labels, ids, Objective.CROSS_ENTROPY, Purpose.PURIFY, 0);
    }

    /** Sum over samples of the EOT-averaged loss at x + h v (same noise for every call). */
    double loss(NDArray at) {
        return GradientTesting.sum(evaluate(new BpdaGradient(), 0, at).loss());
    }

    /**
     * Asserts that the exact gradient matches central differences (h = 1e-2) along 3 seeded
     * directions to 1e-2 relative error, and that the same check rejects the variant with the state
     * coefficient dropped. Returns the errors of the Jacobian-at-next-state variant, for the
     * record.
     */
    double[] assertFiniteDifferences(long directionSeed) {
        NDArray exact = evaluate(StoredStatesGradient.exact(), 0).gradient();
        NDArray wrong = evaluate(WrongVariantGradient.MISSING_STATE_SCALE, 0).gradient();
        NDArray offByOne = evaluate(WrongVariantGradient.JACOBIAN_AT_NEXT_STATE, 0).gradient();
        double[] offByOneErrors = new double[3];
        for (int d = 0; d < 3; d++) {
            NDArray v = GradientTesting.direction(x.getManager(), x.getShape(), directionSeed + d);
            double err = finiteDifferenceError(exact, v, 1e-2);
            org.junit.jupiter.api.Assertions.assertTrue(
                    err <= 1e-2, "direction " + d + ": exact relative error " + err);
            double wrongErr = finiteDifferenceError(wrong, v, 1e-2);
            org.junit.jupiter.api.Assertions.assertTrue(
                    wrongErr > 1e-2,
                    "direction " + d + ": the wrong variant passed with error " + wrongErr);
            offByOneErrors[d] = finiteDifferenceError(offByOne, v, 1e-2);
        }
        return offByOneErrors;
    }

    /** | g.v - (L(x+hv) - L(x-hv)) / 2h | / |(L(x+hv) - L(x-hv)) / 2h| for the direction v. */
    double finiteDifferenceError(NDArray gradient, NDArray v, double h) {
        double plus = loss(x.add(v.mul(h)));
        double minus = loss(x.sub(v.mul(h)));
        double fd = (plus - minus) / (2 * h);
        double analytic = GradientTesting.dot(gradient, v);
        return Math.abs(analytic - fd) / Math.abs(fd);
    }
}
