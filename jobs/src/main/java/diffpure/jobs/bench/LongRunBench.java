package diffpure.jobs.bench;

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
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A long run in one process, as an executor lives: thousands of batches, each a purification and an
 * input gradient through the defended model, with the resident set (native + heap) and the heap
 * after a GC sampled along the way. A leak shows as growth between the first and last samples
 * beyond their noise.
 */
@Command(
        name = "long-run",
        mixinStandardHelpOptions = true,
        description =
                "Resident set and heap over thousands of purify + gradient batches in one process.")
public final class LongRunBench implements Callable<Integer> {
    @Mixin ModelOptions models;

    @Option(names = "--batches", defaultValue = "3000", description = "batches to run")
    int batches;

    @Option(names = "--sample-every", defaultValue = "100", description = "batches per sample")
    int every;

    @Option(names = "--steps", defaultValue = "10", description = "reverse chain steps")
    int steps;

    @Option(names = "--rows", defaultValue = "4", description = "batch rows")
    int rows;

    @Option(names = "--mode", defaultValue = "exact", description = "gradient mode")
    String mode;

    @Override
    public Integer call() throws IOException {
        if (batches < 1 || every < 1 || steps < 1 || rows < 1) {
            throw new IllegalArgumentException(
                    "--batches, --sample-every, --steps and --rows must be >= 1");
        }
        models.applyThreads();
        List<Map<String, Object>> curve = new ArrayList<>();
        long t0 = System.nanoTime();
        try (PtScoreModel scoreModel = models.loadScoreModel();
                PtClassifier clf = models.loadClassifier();
                NDManager manager = NDManager.newBaseManager(models.device())) {
            IdxDataset data = models.loadData(clf.classes());
            var base = models.spec();
            DiffusionPurifier p =
                    base.withDt((base.tStar() - base.tEnd()) / steps)
                            .build(scoreModel, scoreModel.manifest().schedule());
            DefendedModel model = new DefendedModel(p, clf, GradientModes.byName(mode), 1, 0, 1);
            for (int i = 0; i <= batches; i++) {
                if (i % every == 0 || i == batches) {
                    System.gc();
                    Map<String, Object> s = new LinkedHashMap<>();
                    s.put("batch", i);
                    s.put("seconds", (System.nanoTime() - t0) / 1e9);
                    s.put("rss_mb", MemoryBench.ProcStatus.residentBytes() / 1048576.0);
                    s.put(
                            "heap_mb",
                            ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed()
                                    / 1048576.0);
                    curve.add(s);
                    System.out.println("SAMPLE " + Json.of(s));
                }
                if (i == batches) {
                    break;
                }
                try (NDManager scope = manager.newSubManager()) {
                    // A different slice of the data each batch, as a run moves through its samples.
                    int from = (i * rows) % Math.max(1, data.size() - rows);
                    Batch b = Batch.of(scope, data, from, rows);
                    model.logits(b.images(), b.ids(), Purpose.VOTE_CLEAN, i, 1).close();
                    model.lossAndGradient(
                            b.images(),
                            b.labels(),
                            b.ids(),
                            Objective.CROSS_ENTROPY,
                            Purpose.PURIFY,
                            i);
                }
            }
        }
        Map<String, Object> first = curve.get(Math.min(1, curve.size() - 1));
        Map<String, Object> last = curve.get(curve.size() - 1);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("batches", batches);
        out.put("steps", steps);
        out.put("rows", rows);
        out.put("mode", mode);
        out.put("start_batch", first.get("batch"));
        out.put("start_rss_mb", first.get("rss_mb"));
        out.put("end_rss_mb", last.get("rss_mb"));
        out.put("start_heap_mb", first.get("heap_mb"));
        out.put("end_heap_mb", last.get("heap_mb"));
        out.put(
                "max_rss_mb",
                curve.stream().mapToDouble(s -> (Double) s.get("rss_mb")).max().orElse(0));
        out.put("curve", curve);
        System.out.println("JSON " + Json.of(out));
        return 0;
    }
}
