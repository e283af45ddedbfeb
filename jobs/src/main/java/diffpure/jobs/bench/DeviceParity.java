package diffpure.jobs.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import diffpure.data.Batch;
import diffpure.data.IdxDataset;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientModes;
import diffpure.gradient.Objective;
import diffpure.jobs.cli.ModelOptions;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.Purpose;
import diffpure.purify.DiffusionPurifier;
import diffpure.torch.Devices;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The same purifications and gradients on two devices (a GPU against the CPU): the noise is keyed,
 * so the two differ only by floating-point arithmetic. Prints the largest logit difference, the
 * share of equal predictions and each gradient mode's cosine and relative error, with the time each
 * device took, and exits 1 when a figure is outside its tolerance.
 */
@Command(
        name = "device-parity",
        mixinStandardHelpOptions = true,
        description = "Purification and gradients on --device against --reference-device.")
public final class DeviceParity implements Callable<Integer> {
    @Mixin ModelOptions models;

    @Option(
            names = "--reference-device",
            defaultValue = "cpu",
            description = "device the results are checked against")
    String referenceDevice;

    @Option(names = "--n", defaultValue = "16", description = "images compared (the first N)")
    int images;

    @Option(names = "--eot", defaultValue = "2", description = "EOT copies per gradient")
    int eot;

    @Option(
            names = "--modes",
            split = ",",
            defaultValue = "exact,checkpointed,adjoint,backprop,bpda",
            description = "gradient modes compared")
    List<String> modes;

    @Option(
            names = "--logit-tolerance",
            defaultValue = "1e-2",
            description = "largest logit difference allowed, relative to the largest |logit|")
    double logitTolerance;

    @Option(
            names = "--min-agreement",
            defaultValue = "1.0",
            description = "share of purified predictions that must be equal")
    double minAgreement;

    @Option(
            names = "--min-cosine",
            defaultValue = "0.99",
            description = "smallest gradient cosine allowed")
    double minCosine;

    @Override
    public Integer call() {
        models.applyThreads();
        Device device = models.device();
        Device reference = Devices.parse(referenceDevice);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("engine", Devices.engineDescription());
        out.put("device", device.toString());
        out.put("reference_device", reference.toString());
        Outputs a = run(device);
        Outputs b = run(reference);
        boolean ok = true;
        double logitDiff = maxRelativeDifference(a.logits, b.logits);
        double agreement = agreement(a.predictions, b.predictions);
        out.put("logit_max_relative_difference", logitDiff);
        out.put("prediction_agreement", agreement);
        out.put("purify_seconds", a.purifySeconds);
        out.put("purify_seconds_reference", b.purifySeconds);
        ok &= logitDiff <= logitTolerance && agreement >= minAgreement;
        System.out.printf(
                Locale.ROOT,
                "purify   logits max rel. diff %.2e, predictions equal %.3f; %.2f s vs %.2f s%n",
                logitDiff,
                agreement,
                a.purifySeconds,
                b.purifySeconds);
        for (String mode : modes) {
            double cos = cosine(a.gradients.get(mode), b.gradients.get(mode));
            double rel = relativeError(a.gradients.get(mode), b.gradients.get(mode));
            out.put("gradient_cosine." + mode, cos);
            out.put("gradient_relative_error." + mode, rel);
            out.put("gradient_seconds." + mode, a.gradientSeconds.get(mode));
            out.put("gradient_seconds_reference." + mode, b.gradientSeconds.get(mode));
            ok &= cos >= minCosine;
            System.out.printf(
                    Locale.ROOT,
                    "gradient %-12s cosine %.6f, relative error %.2e; %.2f s vs %.2f s%n",
                    mode,
                    cos,
                    rel,
                    a.gradientSeconds.get(mode),
                    b.gradientSeconds.get(mode));
        }
        out.put("within_tolerance", ok);
        System.out.println("JSON " + Json.of(out));
        return ok ? 0 : 1;
    }

    private record Outputs(
            float[] logits,
            int[] predictions,
            double purifySeconds,
            Map<String, float[]> gradients,
            Map<String, Double> gradientSeconds) {}

    private Outputs run(Device device) {
        try (PtScoreModel scoreModel = models.loadScoreModel(device);
                PtClassifier clf = models.loadClassifier(device);
                NDManager manager = NDManager.newBaseManager(device)) {
            IdxDataset data = models.loadData(clf.classes());
            DiffusionPurifier purifier =
                    models.spec().build(scoreModel, scoreModel.manifest().schedule());
            Batch batch = Batch.of(manager, data, 0, images);
            DefendedModel voting =
                    new DefendedModel(purifier, clf, GradientModes.byName("exact"), 1, 0, 0);
            long t0 = System.nanoTime();
            var logits = voting.logits(batch.images(), batch.ids(), Purpose.VOTE_CLEAN, 0, 1);
            float[] flat = logits.toFloatArray();
            double purifySeconds = (System.nanoTime() - t0) / 1e9;
            long[] argmax = logits.argMax(2).toLongArray();
            int[] predictions = new int[argmax.length];
            for (int i = 0; i < argmax.length; i++) {
                predictions[i] = (int) argmax[i];
            }
            Map<String, float[]> gradients = new LinkedHashMap<>();
            Map<String, Double> seconds = new LinkedHashMap<>();
            for (String mode : modes) {
                DefendedModel model =
                        new DefendedModel(purifier, clf, GradientModes.byName(mode), eot, 0, 0);
                try (NDManager scope = manager.newSubManager()) {
                    long g0 = System.nanoTime();
                    float[] g =
                            model.lossAndGradient(
                                            batch.images(),
                                            batch.labels(),
                                            batch.ids(),
                                            Objective.CROSS_ENTROPY,
                                            Purpose.PURIFY,
                                            0)
                                    .gradient()
                                    .toFloatArray();
                    seconds.put(mode, (System.nanoTime() - g0) / 1e9);
                    gradients.put(mode, g);
                }
            }
            return new Outputs(flat, predictions, purifySeconds, gradients, seconds);
        }
    }

    static double maxRelativeDifference(float[] a, float[] b) {
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(b[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff / Math.max(scale, Double.MIN_NORMAL);
    }

    static double agreement(int[] a, int[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        return (double) same / a.length;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static double relativeError(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }
}
