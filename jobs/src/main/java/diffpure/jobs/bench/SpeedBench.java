package diffpure.jobs.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.data.Batch;
import diffpure.data.IdxDataset;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientModes;
import diffpure.gradient.Objective;
import diffpure.jobs.cli.ModelOptions;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.PurifierSpec;
import diffpure.torch.Devices;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Purified images/s per purifier, input-gradients/s per gradient mode (one gradient = one image x
 * one EOT copy x the full forward and backward), the exact-gradient / purification time ratio, the
 * cost of noise generation per step, and the score model's FLOP/s against a matrix multiply through
 * the same libtorch and thread count.
 */
@Command(
        name = "speed",
        mixinStandardHelpOptions = true,
        description = "Throughput per purifier and mode.")
public final class SpeedBench implements Callable<Integer> {
    @Mixin ModelOptions models;

    @Option(
            names = "--purify-batch",
            defaultValue = "64",
            description = "images per purification batch")
    int purifyBatch;

    @Option(
            names = "--purify-images",
            defaultValue = "128",
            description = "images purified per purifier")
    int purifyImages;

    @Option(
            names = "--gradient-images",
            defaultValue = "8",
            description = "images per gradient call")
    int gradientImages;

    @Option(names = "--eot", defaultValue = "4", description = "EOT copies per gradient call")
    int eot;

    @Option(
            names = "--modes",
            split = ",",
            defaultValue = "exact,checkpointed,adjoint,bpda,backprop",
            description = "gradient modes to time")
    List<String> modes;

    @Option(
            names = "--purifiers",
            split = ",",
            defaultValue = "vp-sde,pf-ode,ddpm",
            description = "purifiers to time")
    List<String> purifiers;

    @Option(
            names = "--backprop-micro-batch-rows",
            defaultValue = "8",
            description =
                    "rows per micro-batch for backprop, whose activations grow with N (0 = no split)")
    int backpropMicroBatchRows;

    @Option(
            names = "--ddpm-bench-steps",
            defaultValue = "100",
            description = "ddpm chain length in this bench")
    int ddpmBenchSteps;

    @Override
    public Integer call() {
        models.applyThreads();
        Map<String, Object> out = new LinkedHashMap<>();
        try (PtScoreModel scoreModel = models.loadScoreModel();
                PtClassifier clf = models.loadClassifier();
                NDManager manager = NDManager.newBaseManager(models.device())) {
            IdxDataset data = models.loadData(clf.classes());
            out.put("engine", Devices.engineDescription());
            out.put("threads", models.threads());
            out.put("device", models.device().toString());
            PurifierSpec base = models.spec();
            // warm-up: one short purification and one gradient, so one-off costs stay out of the
            // figures
            warmUp(manager, data, scoreModel, clf, base);

            double sdePurify = timePurifiers(manager, data, scoreModel, clf, base, out);
            DiffusionPurifier sde = base.build(scoreModel, scoreModel.manifest().schedule());
            timeGradients(manager, data, sde, clf, sdePurify, out);
            noiseCost(manager, sde, sdePurify * purifyBatch / sde.chain().length(), out);
            flops(manager, scoreModel, sdePurify, sde.chain().length(), out);
        }
        System.out.println("JSON " + Json.of(out));
        return 0;
    }

    /**
     * Purify-and-classify rate of each --purifiers kind; returns vp-sde's seconds per image (0 when
     * it is not among them).
     */
    private double timePurifiers(
            NDManager manager,
            IdxDataset data,
            PtScoreModel scoreModel,
            PtClassifier clf,
            PurifierSpec base,
            Map<String, Object> out) {
        double sdePurify = 0;
        for (String kind : purifiers) {
            PurifierSpec spec =
                    new PurifierSpec(
                            PurifierSpec.Kind.parse(kind),
                            base.tStar(),
                            base.tEnd(),
                            base.dt(),
                            ddpmBenchSteps,
                            base.forwardAlphaBar());
            DiffusionPurifier p = spec.build(scoreModel, scoreModel.manifest().schedule());
            DefendedModel model = new DefendedModel(p, clf, GradientModes.byName("exact"), 1, 0, 1);
            long t0 = System.nanoTime();
            for (int from = 0; from < purifyImages; from += purifyBatch) {
                try (NDManager scope = manager.newSubManager()) {
                    Batch b =
                            Batch.of(scope, data, from, Math.min(purifyBatch, purifyImages - from));
                    model.logits(b.images(), b.ids(), Purpose.VOTE_CLEAN, 0, 1);
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double rate = purifyImages / secs;
            if (kind.equals("vp-sde")) {
                sdePurify = secs / purifyImages;
            }
            out.put("purify_images_per_s." + kind, rate);
            System.out.printf(
                    Locale.ROOT,
                    "purify %-7s %4d steps  %7.2f images/s%n",
                    kind,
                    p.chain().length(),
                    rate);
        }
        return sdePurify;
    }

    /** Input gradients per second of each --modes mode, and their cost in purifications. */
    private void timeGradients(
            NDManager manager,
            IdxDataset data,
            DiffusionPurifier sde,
            PtClassifier clf,
            double sdePurify,
            Map<String, Object> out) {
        for (String mode : modes) {
            int micro = mode.equals("backprop") ? backpropMicroBatchRows : 0;
            DefendedModel model =
                    new DefendedModel(sde, clf, GradientModes.byName(mode), eot, micro, 1);
            try (NDManager scope = manager.newSubManager()) {
                Batch b = Batch.of(scope, data, 0, gradientImages);
                long t0 = System.nanoTime();
                model.lossAndGradient(
                        b.images(),
                        b.labels(),
                        b.ids(),
                        Objective.CROSS_ENTROPY,
                        Purpose.PURIFY,
                        0);
                double secs = (System.nanoTime() - t0) / 1e9;
                double rate = gradientImages * eot / secs;
                out.put("gradients_per_s." + mode, rate);
                double perRowGradient = secs / (gradientImages * eot);
                out.put(
                        "gradient_over_purify." + mode,
                        sdePurify > 0 ? perRowGradient / sdePurify : Double.NaN);
                System.out.printf(
                        Locale.ROOT,
                        "gradient %-12s %7.2f input-gradients/s  (%.2f x one purification)%n",
                        mode,
                        rate,
                        perRowGradient / sdePurify);
            } catch (RuntimeException e) {
                out.put("gradients_per_s." + mode, "failed: " + e.getMessage());
                System.out.printf("gradient %-12s failed: %s%n", mode, e.getMessage());
            }
        }
    }

    private void warmUp(
            NDManager manager,
            IdxDataset data,
            PtScoreModel scoreModel,
            PtClassifier clf,
            PurifierSpec base) {
        DiffusionPurifier shortChain =
                base.withDt(base.tStar() / 4).build(scoreModel, scoreModel.manifest().schedule());
        DefendedModel model =
                new DefendedModel(shortChain, clf, GradientModes.byName("exact"), 2, 0, 1);
        try (NDManager scope = manager.newSubManager()) {
            Batch b = Batch.of(scope, data, 0, 8);
            model.logits(b.images(), b.ids(), Purpose.VOTE_CLEAN, 0, 1);
            model.lossAndGradient(
                    b.images(), b.labels(), b.ids(), Objective.CROSS_ENTROPY, Purpose.PURIFY, 0);
        }
    }

    /**
     * Host-side Philox + Box-Muller for one step of a purification batch, against that step's share
     * of time.
     */
    private void noiseCost(
            NDManager manager, DiffusionPurifier p, double stepSeconds, Map<String, Object> out) {
        List<NoiseKey> keys = new ArrayList<>();
        for (int r = 0; r < purifyBatch; r++) {
            keys.add(new NoiseKey(1, r, Purpose.PURIFY, 0, 0));
        }
        RowNoise noise = new RowNoise(keys);
        int reps = 50;
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            try (NDManager scope = manager.newSubManager()) {
                noise.draw(scope, i, p.imageShape());
            }
        }
        double perStep = (System.nanoTime() - t0) / 1e9 / reps;
        out.put("noise_seconds_per_step", perStep);
        out.put("noise_fraction_of_step", perStep / stepSeconds);
        System.out.printf(
                Locale.ROOT,
                "noise    %.2f ms per step of %d rows = %.1f%% of a %.1f ms step%n",
                perStep * 1e3,
                purifyBatch,
                100 * perStep / stepSeconds,
                stepSeconds * 1e3);
    }

    /**
     * FLOP/s of the score model (from the manifest's analytic MAC count) against a 1024^2 matrix
     * multiply.
     */
    private void flops(
            NDManager manager,
            PtScoreModel scoreModel,
            double secondsPerImage,
            int steps,
            Map<String, Object> out) {
        int n = 1024;
        double matmul;
        try (NDManager scope = manager.newSubManager();
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            NDArray a = scope.randomNormal(new Shape(n, n));
            NDArray b = scope.randomNormal(new Shape(n, n));
            a.matMul(b).close();
            int reps = 10;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                a.matMul(b).close();
            }
            matmul = 2.0 * n * n * n * reps / ((System.nanoTime() - t0) / 1e9);
        }
        out.put("matmul_gflops", matmul / 1e9);
        long macs = scoreModel.manifest().macsPerImage();
        if (macs > 0) {
            double achieved = 2.0 * macs * steps / secondsPerImage;
            out.put("score_model_gflops", achieved / 1e9);
            out.put("score_model_fraction_of_matmul", achieved / matmul);
            System.out.printf(
                    Locale.ROOT,
                    "flops    score model %.1f GFLOP/s (%.2f GFLOP per image-step) vs matmul %.1f"
                            + " GFLOP/s = %.0f%%%n",
                    achieved / 1e9,
                    2.0 * macs / 1e9,
                    matmul / 1e9,
                    100 * achieved / matmul);
        } else {
            System.out.printf(
                    Locale.ROOT,
                    "flops    matmul %.1f GFLOP/s (manifest has no macs-per-image)%n",
                    matmul / 1e9);
        }
    }
}
