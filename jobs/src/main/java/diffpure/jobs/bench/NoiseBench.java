package diffpure.jobs.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.noise.NoiseKey;
import diffpure.noise.NoiseStats;
import diffpure.noise.NoiseWorkers;
import diffpure.noise.Purpose;
import diffpure.noise.RowNoise;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Noise on the critical path of a reverse chain: the time a chain waits for each step's normals,
 * computed inline and with background {@link NoiseWorkers}, against a model step of a given length
 * (the calling thread sleeps through it, as it waits for a GPU). Shapes and rows are free, so the
 * paper's batches can be measured without their models.
 */
@Command(
        name = "noise",
        mixinStandardHelpOptions = true,
        description = "Noise time per chain step, inline and drawn ahead, against a model step.")
public final class NoiseBench implements Callable<Integer> {
    @Option(
            names = "--shape",
            split = ",",
            defaultValue = "3,32,32",
            description = "image shape C,H,W")
    long[] shape;

    @Option(names = "--rows", defaultValue = "160", description = "rows per chain (images x EOT)")
    int rows;

    @Option(names = "--steps", defaultValue = "50", description = "chain steps timed")
    int steps;

    @Option(
            names = "--step-ms",
            defaultValue = "30",
            description = "model time per step the noise can hide behind (ms)")
    double stepMs;

    @Option(
            names = "--noise-threads",
            defaultValue = "4",
            description = "background noise threads for the drawn-ahead run")
    int noiseThreads;

    @Override
    public Integer call() throws InterruptedException {
        Shape image = new Shape(shape);
        List<NoiseKey> keys = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            keys.add(new NoiseKey(1, r, Purpose.PURIFY, 0, 0));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("shape", image.toString());
        out.put("rows", rows);
        out.put("step_ms", stepMs);
        try (NDManager manager = NDManager.newBaseManager()) {
            chain(manager, new RowNoise(keys), image, 0); // warm-up: JIT and the scratch buffer
            double inline = chain(manager, new RowNoise(keys), image, 0);
            NoiseWorkers workers = NoiseWorkers.shared(noiseThreads);
            chain(manager, new RowNoise(keys, workers), image, stepMs);
            double ahead = chain(manager, new RowNoise(keys, workers), image, stepMs);
            out.put("inline_ms_per_step", inline);
            out.put("noise_threads", workers.threads());
            out.put("drawn_ahead_critical_ms_per_step", ahead);
            out.put("inline_fraction_of_step", inline / (stepMs + inline));
            out.put("drawn_ahead_fraction_of_step", ahead / (stepMs + ahead));
            System.out.printf(
                    Locale.ROOT,
                    "noise %s x %d rows: inline %.2f ms per step (%.1f%% of a %.1f ms step);"
                            + " drawn ahead by %d threads %.3f ms on the critical path (%.2f%%)%n",
                    image,
                    rows,
                    inline,
                    100 * inline / (stepMs + inline),
                    stepMs,
                    workers.threads(),
                    ahead,
                    100 * ahead / (stepMs + ahead));
        }
        System.out.println(Json.of(out));
        return 0;
    }

    /** Mean milliseconds per step spent inside draws over a chain of {@link #steps} steps. */
    private double chain(NDManager manager, RowNoise noise, Shape image, double sleepMs)
            throws InterruptedException {
        NoiseStats.reset();
        for (int k = -1; k < steps; k++) {
            try (NDManager scope = manager.newSubManager()) {
                noise.draw(scope, k, image);
                if (sleepMs > 0) {
                    Thread.sleep((long) sleepMs, (int) ((sleepMs % 1) * 1e6));
                }
            }
        }
        return NoiseStats.criticalNanos() / 1e6 / NoiseStats.draws();
    }
}
