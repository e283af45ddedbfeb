package diffpure.jobs.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.jobs.cli.ModelOptions;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import diffpure.purify.DiffusionPurifier;
import diffpure.torch.PtAutograd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The two calls every gradient mode is made of, timed per row at several rows per call: a chain
 * step without a graph (F) and a step's vector-Jacobian product (V: the forward with a graph and
 * its backward). Row counts are interleaved round by round so that a machine whose speed drifts
 * affects them alike; the medians give each mode's ceiling in input gradients per second for a
 * chain of N model steps: backprop 1/(N V), exact 1/(N (F + V)), checkpointed 1/(N (2F + V)) (its
 * recompute sweep repeats the forward), bpda 1/(N F) plus one classifier call.
 */
@Command(
        name = "step-rows",
        mixinStandardHelpOptions = true,
        description =
                "Time per row of a chain step and of its vector-Jacobian product at several rows per"
                        + " call; each gradient mode's ceiling.")
public final class StepRowsBench implements Callable<Integer> {
    @Mixin ModelOptions models;

    @Option(
            names = "--rows",
            split = ",",
            defaultValue = "8,16,32,64",
            description = "rows per call to compare")
    int[] rows;

    @Option(names = "--rounds", defaultValue = "5", description = "interleaved rounds")
    int rounds;

    @Option(names = "--calls", defaultValue = "10", description = "calls of each kind per round")
    int calls;

    @Override
    public Integer call() {
        models.applyThreads();
        Map<String, Object> out = new LinkedHashMap<>();
        try (PtScoreModel scoreModel = models.loadScoreModel();
                PtClassifier clf = models.loadClassifier();
                NDManager manager = NDManager.newBaseManager(models.device())) {
            DiffusionPurifier p = models.purifier(scoreModel, clf);
            int n = p.chain().length();
            int k = n / 2; // a model step in the middle of the chain
            double[][] fwd = new double[rows.length][rounds];
            double[][] vjp = new double[rows.length][rounds];
            for (int round = -1; round < rounds; round++) { // round -1 warms up
                for (int i = 0; i < rows.length; i++) {
                    double[] t = time(manager, p, k, rows[i]);
                    if (round >= 0) {
                        fwd[i][round] = t[0];
                        vjp[i][round] = t[1];
                    }
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "%s, %d model steps, %d threads; median of %d rounds, ms per row%n",
                    p.describe(),
                    n,
                    models.threads(),
                    rounds);
            System.out.printf(
                    Locale.ROOT,
                    "%6s %9s %9s   ceilings (input gradients/s): %8s %8s %8s %8s%n",
                    "rows",
                    "F",
                    "V",
                    "backprop",
                    "exact",
                    "checkpt",
                    "bpda");
            for (int i = 0; i < rows.length; i++) {
                double f = median(fwd[i]);
                double v = median(vjp[i]);
                double backprop = 1 / (n * v);
                double exact = 1 / (n * (f + v));
                double checkpointed = 1 / (n * (2 * f + v));
                double bpda = 1 / (n * f);
                System.out.printf(
                        Locale.ROOT,
                        "%6d %9.3f %9.3f   %38.3f %8.3f %8.3f %8.3f%n",
                        rows[i],
                        f * 1e3,
                        v * 1e3,
                        backprop,
                        exact,
                        checkpointed,
                        bpda);
                String key = "rows_" + rows[i];
                out.put(key + ".forward_ms_per_row", f * 1e3);
                out.put(key + ".vjp_ms_per_row", v * 1e3);
                out.put(key + ".ceiling.backprop", backprop);
                out.put(key + ".ceiling.exact", exact);
                out.put(key + ".ceiling.checkpointed", checkpointed);
                out.put(key + ".ceiling.bpda", bpda);
                out.put(key + ".forward_ms_per_row.rounds", fwd[i]);
                out.put(key + ".vjp_ms_per_row.rounds", vjp[i]);
            }
        }
        System.out.println("JSON " + Json.of(out));
        return 0;
    }

    /** Seconds per row of one no-graph step and of one step VJP, at the given rows per call. */
    private double[] time(NDManager manager, DiffusionPurifier p, int k, int rowCount) {
        List<NoiseKey> keys = new ArrayList<>(rowCount);
        for (int r = 0; r < rowCount; r++) {
            keys.add(new NoiseKey(1, r, Purpose.PURIFY, 0, 0));
        }
        RowNoise noise = new RowNoise(keys);
        try (NDManager scope = manager.newSubManager()) {
            NDArray y = scope.randomNormal(new Shape(rowCount).addAll(p.imageShape()));
            NDArray a = scope.randomNormal(y.getShape());
            long t0 = System.nanoTime();
            try (PtAutograd.Mode noGrad = PtAutograd.disabled()) {
                for (int c = 0; c < calls; c++) {
                    p.step(k, y, noise).close();
                }
            }
            long t1 = System.nanoTime();
            try (PtAutograd.Mode noGrad = PtAutograd.disabled()) {
                for (int c = 0; c < calls; c++) {
                    p.stepVjp(k, y, a).close();
                }
            }
            long t2 = System.nanoTime();
            double per = 1e-9 / ((double) calls * rowCount);
            return new double[] {(t1 - t0) * per, (t2 - t1) * per};
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
}
