package diffpure.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigLoader;
import diffpure.experiment.Experiments;
import diffpure.jobs.evaluate.EvaluationJob;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ImageNet path end to end in the Spark job: generated JPEGs of assorted sizes through the
 * ImageNet reader (Resize 256, CenterCrop 224) and a labels file, a 3x256x256 stand-in score model
 * and a 3x224x224, 1000-class stand-in classifier paired by purify.resize = bilinear, a defended
 * PGD-EOT attack with exact gradients through both resizes, and votes.
 */
class ImageNetEvaluationTest {
    @TempDir Path tmp;

    @Test
    void theEvaluationJobRunsOnJpegsWithTheResize() throws Exception {
        PaperData.imagenet(tmp.resolve("imagenet"), 3);
        ConfigLoader.Loaded loaded =
                Experiments.load(
                        PaperData.ROOT
                                .resolve("conf/experiments/imagenet-linf-resnet50.conf")
                                .toString(),
                        List.of(
                                "run.output=" + tmp.resolve("out").toUri(),
                                "run.chunk-samples=4",
                                "run.partition-samples=2",
                                "run.batch-samples=2",
                                "data.count=3",
                                "data.images=" + tmp.resolve("imagenet/val"),
                                "data.labels=" + tmp.resolve("imagenet/val.txt"),
                                "model.score-model="
                                        + PaperData.FIXTURES.resolve("standin-eps-3x256.pt"),
                                "model.classifier="
                                        + PaperData.FIXTURES.resolve(
                                                "standin-classifier-3x224-c1000.pt"),
                                "purify.dt=0.05",
                                "attack.name=pgd-eot",
                                "attack.iterations=1",
                                "attack.eot=2",
                                "attack.gradient-mode=exact",
                                "eval.votes=2",
                                // The gradient-masking checks have their own test.
                                "sanity.subset=0",
                                "runtime.device=cpu",
                                "runtime.torch-threads=1"),
                        Map.of(),
                        new Properties());
        assertEquals("bilinear", loaded.config().purify().resize());
        SparkSession spark =
                SparkSession.builder()
                        .master("local[2]")
                        .appName("ImageNetEvaluationTest")
                        .config("spark.ui.enabled", "false")
                        .config("spark.sql.shuffle.partitions", "2")
                        .getOrCreate();
        try {
            EvaluationJob.Outcome o =
                    EvaluationJob.run(
                            spark, loaded, new EvaluationJob.Options("test", -1, 60, System.out));
            assertTrue(o.complete());
            List<Row> rows =
                    spark.read()
                            .parquet(o.samplesPath())
                            .where(functions.col("run_id").equalTo(o.runId()))
                            .orderBy("sample_id")
                            .collectAsList();
            assertEquals(3, rows.size());
            // labels of the generated val.txt: (i * 389) % 1000, ids in file-name order
            int[] labels = {0, 389, 778};
            for (int i = 0; i < 3; i++) {
                Row r = rows.get(i);
                assertNull(r.getAs("error"), "row " + i);
                assertEquals(i, (long) r.<Long>getAs("sample_id"));
                assertEquals(labels[i], (int) r.<Integer>getAs("label"));
                assertEquals(2, r.getList(r.fieldIndex("clean_votes")).size());
                assertEquals(2, r.getList(r.fieldIndex("adversarial_votes")).size());
                for (Object v : r.getList(r.fieldIndex("adversarial_votes"))) {
                    int p = (Integer) v;
                    assertTrue(p >= 0 && p < 1000, "prediction " + p);
                }
            }
        } finally {
            spark.stop();
        }
    }
}
