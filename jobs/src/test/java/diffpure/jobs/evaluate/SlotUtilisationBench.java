package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigLoader;
import diffpure.experiment.Experiments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Benchmark, not part of the suite (run it by name): slot utilisation (busy task-seconds over
 * available slot-seconds) with uneven task costs — every chunk has a 2-sample and a 1-sample
 * partition — chunks one after another ({@code spark.diffpure.chunksInFlight=1}, the schedule
 * before chunk jobs ran concurrently) against the default, on local[2] and on the 2-Worker loopback
 * cluster, back to back in one process:
 *
 * <pre>
 * mvn -o -B test -pl jobs -am -Dtest=SlotUtilisationBench -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class SlotUtilisationBench {
    @TempDir Path tmp;

    private static ConfigLoader.Loaded config(Path out) {
        return Experiments.load(
                null,
                TinyRuns.settings(
                        out,
                        "data.count=12",
                        "run.chunk-samples=3",
                        "run.partition-samples=2",
                        "run.batch-samples=1"),
                Map.of(),
                new Properties());
    }

    @Test
    void utilisation() {
        List<String> lines = new ArrayList<>();
        SparkSession local = TinyRuns.session("SlotUtilisationBench-local");
        try {
            measure(local, "local[2]", lines);
        } finally {
            local.stop();
        }
        try (LoopbackCluster cluster = LoopbackCluster.start(tmp.resolve("cluster"), 2)) {
            SparkSession spark = cluster.session("SlotUtilisationBench");
            try {
                // Warm the executors (JVM start, model loads) outside the measured runs.
                EvaluationJob.run(
                        spark,
                        config(tmp.resolve("warm")),
                        new EvaluationJob.Options("bench", -1, 30, System.out));
                measure(spark, "2 Workers x 1 core", lines);
            } finally {
                spark.stop();
            }
        }
        lines.forEach(l -> System.out.println("slot utilisation: " + l));
    }

    private void measure(SparkSession spark, String where, List<String> lines) {
        for (String inFlight : List.of("1", "")) {
            spark.conf().set(diffpure.jobs.run.ChunkEngine.CHUNKS_IN_FLIGHT, inFlight);
            long t0 = System.nanoTime();
            EvaluationJob.Outcome o =
                    EvaluationJob.run(
                            spark,
                            config(tmp.resolve(where.replaceAll("\\W", "") + inFlight)),
                            new EvaluationJob.Options("bench", -1, 30, System.out));
            assertTrue(o.complete());
            lines.add(
                    String.format(
                            Locale.ROOT,
                            "%s, %s: %.2f (run %.1f s)",
                            where,
                            inFlight.isEmpty() ? "concurrent chunk jobs" : "one chunk at a time",
                            o.slotUtilisation(),
                            (System.nanoTime() - t0) / 1e9));
        }
        spark.conf().unset(diffpure.jobs.run.ChunkEngine.CHUNKS_IN_FLIGHT);
    }
}
