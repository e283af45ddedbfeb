package diffpure.jobs.evaluate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.gradient.DefendedModel;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.store.SampleFacts;
import diffpure.noise.Purpose;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pictures of the report's gallery (report.gallery-samples): for each gallery sample of a
 * batch, one purified copy of its clean and of its adversarial image, drawn with the first vote's
 * noise keys (so a run with the same seed reproduces them), and the classifier's label for each.
 * Costs two purifications per gallery sample, a bounded number per run.
 */
final class GalleryCopies {
    private GalleryCopies() {}

    /**
     * The gallery images of the batch's results whose sample is in the gallery, by sample id.
     *
     * @param runner the runner of the batch (its defended model)
     * @param ctx the models and device of this JVM
     * @param results one batch's results (error rows are skipped; the others hold their clean
     *     image)
     * @param gallery the run's gallery sample ids
     */
    static Map<Long, SampleFacts.Gallery> of(
            BatchRunner runner,
            ExecutorContext ctx,
            List<BatchRunner.Result> results,
            Set<Long> gallery) {
        List<BatchRunner.Result> shown = new ArrayList<>();
        for (BatchRunner.Result r : results) {
            if (r.outcome() != null && gallery.contains(r.ref().id())) {
                shown.add(r);
            }
        }
        Map<Long, SampleFacts.Gallery> out = new HashMap<>();
        if (shown.isEmpty()) {
            return out;
        }
        Shape shape = ctx.classifier().imageShape();
        int per = (int) shape.size();
        int b = shown.size();
        float[] clean = new float[b * per];
        float[] adversarial = new float[b * per];
        long[] ids = new long[b];
        for (int i = 0; i < b; i++) {
            BatchRunner.Result r = shown.get(i);
            float[] x = r.sample().image();
            float[] d = r.outcome().attack().perturbation().delta();
            System.arraycopy(x, 0, clean, i * per, per);
            for (int j = 0; j < per; j++) {
                adversarial[i * per + j] = x[j] + d[j];
            }
            ids[i] = r.ref().id();
        }
        DefendedModel model = runner.defendedModel();
        try (NDManager m = NDManager.newBaseManager(ctx.device());
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            Shape batch = new Shape(b).addAll(shape);
            NDArray pc = model.firstCopies(m.create(clean, batch), ids, Purpose.VOTE_CLEAN, 0);
            NDArray pa =
                    model.firstCopies(
                            m.create(adversarial, batch), ids, Purpose.VOTE_ADVERSARIAL, 0);
            long[] cleanLabels = ctx.classifier().logits(pc).argMax(1).toLongArray();
            long[] advLabels = ctx.classifier().logits(pa).argMax(1).toLongArray();
            float[] pch = pc.toFloatArray();
            float[] pah = pa.toFloatArray();
            for (int i = 0; i < b; i++) {
                out.put(
                        ids[i],
                        new SampleFacts.Gallery(
                                java.util.Arrays.stream(shape.getShape())
                                        .mapToInt(v -> (int) v)
                                        .toArray(),
                                java.util.Arrays.copyOfRange(clean, i * per, (i + 1) * per),
                                java.util.Arrays.copyOfRange(pch, i * per, (i + 1) * per),
                                (int) cleanLabels[i],
                                java.util.Arrays.copyOfRange(pah, i * per, (i + 1) * per),
                                (int) advLabels[i]));
            }
        }
        return out;
    }
}
