package diffpure.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.torch.PtAutograd;

/**
 * What one call of a loaded model costs: the shapes a probe call sees, one forward's time and one
 * forward + input gradient's time at a given batch (after one warm-up of each), on the model's
 * device. Inputs are ProbeInputs from the manifest's probe seed, so repeated inspections time the
 * same call.
 *
 * @param inputShape the input the call was made with, [batch, C, H, W]
 * @param outputShape what the model returned
 * @param forwardSeconds one forward without a graph
 * @param gradientSeconds one forward with a graph and the backward to the input (sum of outputs)
 */
public record ModelInspection(
        Shape inputShape, Shape outputShape, double forwardSeconds, double gradientSeconds) {

    /**
     * Times a model.
     *
     * @param batch images per call, &gt;= 1
     */
    public static ModelInspection measure(PtTorchScript model, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, found " + batch);
        }
        Shape in = new Shape(batch).addAll(model.imageShape());
        boolean scoreModel = model.manifest().kind() == ModelKind.SCORE_MODEL; // inputs in [-1, 1]
        float[] data =
                ProbeInputs.uniform(
                        model.manifest().probe().seed(),
                        (int) in.size(),
                        scoreModel ? -1f : 0f,
                        1f);
        try (NDManager scope = NDManager.newBaseManager(model.device())) {
            NDArray x = scope.create(data, in);
            Shape out;
            try (PtAutograd.Mode off = PtAutograd.disabled()) {
                out = model.forwardImages(x).getShape(); // warm-up
            }
            gradient(model, x); // warm-up
            long t0 = System.nanoTime();
            try (PtAutograd.Mode off = PtAutograd.disabled()) {
                model.forwardImages(x).toFloatArray(); // waits for the device
            }
            double fwd = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            gradient(model, x);
            double grad = (System.nanoTime() - t0) / 1e9;
            return new ModelInspection(in, out, fwd, grad);
        }
    }

    private static void gradient(PtTorchScript model, NDArray x) {
        try (NDManager s = NDManager.subManagerOf(x)) {
            s.tempAttachAll(x);
            NDArray leaf = PtAutograd.leaf(x);
            try (PtAutograd.Mode on = PtAutograd.enabled()) {
                NDArray y = model.forwardImages(leaf);
                PtAutograd.backward(y, y.onesLike());
            }
            PtAutograd.gradientOf(leaf).toFloatArray(); // waits for the device
        }
    }
}
