package diffpure.jobs.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import diffpure.data.Batch;
import diffpure.data.IdxDataset;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientDiagnostics;
import diffpure.gradient.GradientModes;
import diffpure.gradient.Objective;
import diffpure.gradient.TargetModel;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.torch.Devices;
import diffpure.torch.PtAutograd;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Purify-and-classify N images with a chosen purifier, and time input gradients in a chosen mode.
 */
@Command(
        name = "purify",
        mixinStandardHelpOptions = true,
        description =
                "Purify and classify demo images; print accuracy and timings (and gradient timings).")
public final class PurifyCommand implements Callable<Integer> {
    @Mixin ModelOptions models;

    @Option(
            names = "--n",
            description = "number of test images (the first N of the file)",
            defaultValue = "256")
    int n;

    @Option(names = "--batch", description = "images per batch", defaultValue = "64")
    int batch;

    @Option(names = "--seed", description = "run seed for every noise draw", defaultValue = "0")
    long seed;

    @Option(
            names = "--gradient-mode",
            description = "none, or one of " + "exact, checkpointed, adjoint, backprop, bpda",
            defaultValue = "exact")
    String gradientMode;

    @Option(
            names = "--gradient-images",
            description = "images to take input gradients of",
            defaultValue = "16")
    int gradientImages;

    @Option(names = "--eot", description = "EOT copies per gradient", defaultValue = "1")
    int eot;

    @Override
    public Integer call() {
        if (n < 1 || batch < 1) {
            throw new IllegalArgumentException("--n and --batch must be >= 1");
        }
        models.applyThreads();
        try (PtScoreModel scoreModel = models.loadScoreModel();
                PtClassifier clf = models.loadClassifier();
                NDManager manager = NDManager.newBaseManager(models.device())) {
            IdxDataset data = models.loadData(clf.classes());
            int count = Math.min(n, data.size());
            DiffusionPurifier purifier = models.purifier(scoreModel, clf);
            System.out.printf(
                    "%s%npurifier: %s (%d steps)%nimages: %d from %s, batch %d, %d threads, device %s%n",
                    Devices.engineDescription(),
                    purifier.describe(),
                    purifier.chain().length(),
                    count,
                    data.source(),
                    batch,
                    models.threads,
                    models.device());
            DefendedModel defended =
                    new DefendedModel(
                                    purifier,
                                    clf,
                                    GradientModes.byName(
                                            gradientMode.equals("none") ? "exact" : gradientMode),
                                    eot,
                                    0,
                                    seed)
                            .withNoiseWorkers(models.noiseWorkers());
            purifyAndClassify(defended, clf, data, count, manager);
            if (!gradientMode.equals("none")) {
                timeGradient(defended, data, Math.min(gradientImages, count), manager);
            }
        }
        return 0;
    }

    /** Accuracy with and without purification over the first count images, and its rate. */
    private void purifyAndClassify(
            DefendedModel defended,
            PtClassifier clf,
            IdxDataset data,
            int count,
            NDManager manager) {
        int undefendedOk = 0;
        int purifiedOk = 0;
        long purifyNanos = 0;
        for (int from = 0; from < count; from += batch) {
            int size = Math.min(batch, count - from);
            try (NDManager scope = manager.newSubManager()) {
                Batch b = Batch.of(scope, data, from, size);
                try (PtAutograd.Mode noGrad = PtAutograd.disabled()) {
                    undefendedOk += correct(clf.logits(b.images()), b.labels());
                }
                long t0 = System.nanoTime();
                NDArray logits =
                        defended.logits(b.images(), b.ids(), Purpose.VOTE_CLEAN, 0, 1).squeeze(1);
                purifiedOk += correct(logits, b.labels());
                purifyNanos += System.nanoTime() - t0;
            }
            System.out.printf(
                    "  %d/%d purified, %.2f images/s%n",
                    Math.min(count, from + batch), count, (from + size) / (purifyNanos / 1e9));
        }
        System.out.printf(
                Locale.ROOT,
                "undefended accuracy  %.4f (%d/%d)%n",
                (double) undefendedOk / count,
                undefendedOk,
                count);
        System.out.printf(
                Locale.ROOT,
                "purified accuracy    %.4f (%d/%d)%n",
                (double) purifiedOk / count,
                purifiedOk,
                count);
        System.out.printf(
                Locale.ROOT, "purification         %.2f images/s%n", count / (purifyNanos / 1e9));
    }

    /** Times one input gradient of the first g images in the defended model's mode. */
    private void timeGradient(DefendedModel defended, IdxDataset data, int g, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            Batch b = Batch.of(scope, data, 0, g);
            long t0 = System.nanoTime();
            TargetModel.Evaluation ev =
                    defended.lossAndGradient(
                            b.images(),
                            b.labels(),
                            b.ids(),
                            Objective.CROSS_ENTROPY,
                            Purpose.PURIFY,
                            0);
            double secs = (System.nanoTime() - t0) / 1e9;
            GradientDiagnostics d = ev.diagnostics();
            System.out.printf(
                    Locale.ROOT,
                    "gradient (%s, EOT %d) %.2f input-gradients/s (%d images x %d copies in %.1f"
                            + " s), mean |grad| %.3g%n",
                    defended.mode().name(),
                    eot,
                    g * eot / secs,
                    g,
                    eot,
                    secs,
                    ev.gradient().abs().mean().getFloat());
            if (!Double.isNaN(d.reconstructionError())) {
                System.out.printf(
                        Locale.ROOT,
                        "adjoint reconstruction error of y0: %.4g%n",
                        d.reconstructionError());
            }
        }
    }

    private static int correct(NDArray logits, NDArray labels) {
        long[] pred = logits.argMax(1).toLongArray();
        long[] y = labels.toLongArray();
        int ok = 0;
        for (int i = 0; i < y.length; i++) {
            ok += pred[i] == y[i] ? 1 : 0;
        }
        return ok;
    }
}
