package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import diffpure.config.ConfigError;
import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.data.Datasets;
import diffpure.data.ImageDataset;
import diffpure.experiment.Experiments;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.run.ModelCache;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.run.SampleRef;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad inputs of the catalogue in docs/operations.md "Bad input" that no other test covers: a data
 * set smaller than data.count, an empty data path, and images of another size than the classifier
 * takes (fail-fast names the sample; continue mode keeps every sample as an error row).
 */
class BadInputTest {
    @TempDir Path tmp;

    /** A CIFAR-10 binary batch of n records (label byte + 3 x 32 x 32 bytes each). */
    private Path cifar(int n) throws IOException {
        byte[] b = new byte[n * 3073];
        for (int r = 0; r < n; r++) {
            b[r * 3073] = (byte) (r % 10);
            for (int i = 1; i < 3073; i++) {
                b[r * 3073 + i] = (byte) ((r * 31 + i) & 0xff);
            }
        }
        return Files.write(tmp.resolve("data_batch_1.bin"), b);
    }

    private ConfigLoader.Loaded cifarConfig(Path batch, String... more) {
        List<String> s =
                new java.util.ArrayList<>(
                        TinyRuns.settings(
                                tmp.resolve("out"),
                                "data.format=cifar10",
                                "data.paths=[\"" + batch + "\"]",
                                "data.count=3"));
        s.addAll(List.of(more));
        return Experiments.load(null, s, java.util.Map.of(), new java.util.Properties());
    }

    @Test
    void aCountLargerThanTheDataSetNamesBoth() throws IOException {
        ExperimentConfig c = cifarConfig(cifar(3), "data.count=5").config();
        ImageDataset data = Datasets.open(c.data(), new Configuration());
        ConfigError e = assertThrows(ConfigError.class, () -> RunPlan.of(c, data));
        assertTrue(e.getMessage().contains("data.count = 5"), e.getMessage());
        assertTrue(e.getMessage().contains("has 3 samples"), e.getMessage());
    }

    @Test
    void anEmptyDataPathIsRefused() {
        ExperimentConfig c = TinyRuns.config(tmp.resolve("out"), "data.images=").config();
        Exception e =
                assertThrows(
                        RuntimeException.class, () -> Datasets.open(c.data(), new Configuration()));
        assertTrue(e.getMessage().contains("data path is empty"), e.getMessage());
    }

    @Test
    void imagesOfAnotherSizeThanTheClassifierTakes() throws IOException {
        Path batch = cifar(3);
        ExperimentConfig failFast = cifarConfig(batch).config();
        ExperimentConfig tolerant = cifarConfig(batch, "run.on-error=continue").config();
        Configuration conf = new Configuration();
        ImageDataset data = Datasets.open(failFast.data(), conf);
        RunPlan plan = RunPlan.of(failFast, data);
        List<SampleRef> refs = plan.chunks().get(0).get(0).samples();
        PtScoreModel scoreModel =
                ModelCache.scoreModel(
                        failFast.models().scoreModel(),
                        Device.cpu(),
                        "",
                        conf,
                        failFast.models().manifestLimits());
        PtClassifier clf =
                ModelCache.classifier(
                        failFast.models().classifier(),
                        Device.cpu(),
                        "",
                        conf,
                        failFast.models().manifestLimits());
        ExecutorContext ctx = new ExecutorContext(Device.cpu(), 1, scoreModel, clf, data);
        RuntimeException e =
                assertThrows(
                        RuntimeException.class,
                        () -> new BatchRunner(ctx.spec(failFast), ctx).run(refs));
        assertTrue(e.getMessage().contains("has 3072 pixels"), e.getMessage());
        assertTrue(e.getMessage().contains("the classifier takes"), e.getMessage());
        assertTrue(e.getMessage().contains("data_batch_1.bin"), e.getMessage());
        // Continue mode: every sample of the batch is an error row, none dropped.
        List<BatchRunner.Result> rows = new BatchRunner(ctx.spec(tolerant), ctx).run(refs);
        assertEquals(refs.size(), rows.size());
        for (BatchRunner.Result r : rows) {
            assertNull(r.outcome());
            assertTrue(r.error().contains("the classifier takes"), r.error());
        }
    }
}
