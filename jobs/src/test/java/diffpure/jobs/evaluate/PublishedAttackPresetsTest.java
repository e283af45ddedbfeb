package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.attack.AttackContext;
import diffpure.attack.AttackResult;
import diffpure.attack.Attacks;
import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.data.IdxDataset;
import diffpure.experiment.Experiments;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.GradientPlan;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.purify.Purifiers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The presets of the published attacks (conf/experiments/cifar10-diffattack-*, -autoattack-reeval-)
 * cost what the settings tables of docs/paper-settings.md say and run on the demo models with --set
 * overrides.
 */
class PublishedAttackPresetsTest {
    @TempDir static Path tmp;

    private static ConfigLoader.Loaded preset(String name, List<String> sets) {
        return Experiments.load(
                NightlyPresetsTest.EXPERIMENTS.resolve(name + ".conf").toString(), sets);
    }

    @Test
    void rowsPerSampleAreTheReadmeFigures() {
        // (iterations + 1) x EOT 20 per APGD member; forward rows: 2K votes + the clean count, plus
        // R = 20 classifications of the clean image and of each member's image when re-evaluated;
        // lf: 100 iterations x N = 128 gradient rows and as many fresh-vote rows, 2K votes and the
        // clean count over all of them (eval.clean-during-cap = 0)
        String[][] expected = {
            {"cifar10-diffattack-wrn28-10", "4040", "4060"},
            {"cifar10-diffattack-wrn70-16", "4040", "4060"},
            {"cifar10-autoattack-reeval-wrn28-10", "4040", "4180"},
            {"cifar10-lf-wrn70-16", "12800", "38420"},
            // (100 + 1) x N = 10 per member; 2K votes
            {"cifar10-diffbreak-wrn70-16", "2020", "2040"},
            // 3 restarts x 50 grafted rows; 3 x 51 x N = 10 copies, 2K votes, the clean count
            // over the copies' draws
            {"cifar10-diffhammer-wrn70-16", "150", "3080"}
        };
        for (String[] e : expected) {
            DryRun.Rows rows = DryRun.perSample(preset(e[0], List.of()).config());
            assertEquals(Long.parseLong(e[1]), rows.gradient(), e[0]);
            assertEquals(Long.parseLong(e[2]), rows.forward(), e[0]);
        }
    }

    /** The tiny demo settings of TinyRuns over a preset: its attack, the demo's models and data. */
    private static List<String> onTheDemo(Path out, String... more) {
        List<String> sets = new ArrayList<>();
        for (String s : TinyRuns.overrides(out)) {
            if (!s.startsWith("attack.name=") && !s.startsWith("experiment.name=")) {
                sets.add(s);
            }
        }
        sets.add("data.format=idx");
        sets.add("data.classes=10");
        sets.add("data.count=2");
        sets.addAll(List.of(more));
        return sets;
    }

    @Test
    void diffAttackRunsThroughTheJobOnTheDemoModels() {
        SparkSession spark = TinyRuns.session("PublishedAttackPresetsTest");
        try {
            ConfigLoader.Loaded c =
                    preset("cifar10-diffattack-wrn28-10", onTheDemo(tmp.resolve("diff")));
            assertEquals("diffattack", c.config().attack().name());
            EvaluationJob.Outcome o = EvaluationJob.run(spark, c, TinyRuns.options());
            assertTrue(o.complete());
            List<Row> rows =
                    spark.read()
                            .parquet(o.samplesPath())
                            .where(functions.col("run_id").equalTo(o.runId()))
                            .collectAsList();
            assertEquals(2, rows.size());
            for (Row r : rows) {
                String by = r.getAs("broken_by");
                assertTrue(by == null || by.startsWith("diffattack-"), by);
                assertTrue(r.<Long>getAs("gradient_evaluations") > 0);
            }
        } finally {
            spark.stop();
        }
    }

    /**
     * The DiffHammer preset's defence (DDPM respaced to 10 steps from step 100) and its grafting
     * over 5 of them, through the job on the demo models: 2 iterations, N = 2 copies.
     */
    @Test
    void diffHammerRunsThroughTheJobOnTheDemoModels() {
        SparkSession spark = TinyRuns.session("PublishedAttackPresetsTest");
        try {
            ConfigLoader.Loaded c =
                    preset(
                            "cifar10-diffhammer-wrn70-16",
                            onTheDemo(
                                    tmp.resolve("hammer"),
                                    "attack.eot=1",
                                    "attack.evaluations=2",
                                    "attack.iterations=2"));
            assertEquals("diffhammer", c.config().attack().name());
            EvaluationJob.Outcome o = EvaluationJob.run(spark, c, TinyRuns.options());
            assertTrue(o.complete());
            List<Row> rows =
                    spark.read()
                            .parquet(o.samplesPath())
                            .where(functions.col("run_id").equalTo(o.runId()))
                            .collectAsList();
            assertEquals(2, rows.size());
            for (Row r : rows) {
                String by = r.getAs("broken_by");
                assertTrue(by == null || by.equals("diffhammer"), by);
                long grafted = r.<Long>getAs("gradient_evaluations");
                long evaluations = r.<Long>getAs("during_attack_evaluations");
                // per restart 2 grafted steps and (2 + 1) x 2 copies; 1 to 3 restarts
                assertEquals(0, grafted % 2);
                assertTrue(grafted >= 2 && grafted <= 6, "gradient rows " + grafted);
                assertEquals(3 * grafted, evaluations);
            }
        } finally {
            spark.stop();
        }
    }

    @Test
    void theDryRunTimesDiffAttacksGradientRowOnTheDemoModels() {
        ExperimentConfig c =
                preset("cifar10-diffattack-wrn28-10", onTheDemo(tmp.resolve("dry"))).config();
        DryRun.Estimate e = DryRun.measure(c, new org.apache.hadoop.conf.Configuration());
        assertEquals(2 * 3 * 2, e.gradientRows(), "2 members x (2 iterations + 1) x EOT 2");
        assertTrue(e.secondsPerGradientRow() > 0);
    }

    @Test
    void theReEvaluatedPresetRunsOnTheDemoModels() {
        ExperimentConfig c =
                preset(
                                "cifar10-autoattack-reeval-wrn28-10",
                                onTheDemo(tmp.resolve("reeval"), "attack.re-evaluations=3"))
                        .config();
        Path root = TinyRuns.ROOT;
        try (PtScoreModel score =
                        PtScoreModel.load(root.resolve("models/demo/eps.pt"), Device.cpu());
                PtClassifier clf =
                        PtClassifier.load(root.resolve("models/demo/classifier.pt"), Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            DefendedModel model =
                    DefendedModel.of(
                            Purifiers.purifier(c.purify(), score, score.manifest().schedule(), clf),
                            clf,
                            GradientPlan.forRun(c, score.manifest(), clf.manifest()),
                            c.attack().eot(),
                            c.run().seed());
            IdxDataset data =
                    IdxDataset.read(
                            root.resolve("models/demo/data/t10k-images-idx3-ubyte.gz"),
                            root.resolve("models/demo/data/t10k-labels-idx1-ubyte.gz"),
                            10);
            float[] px = new float[2 * 784];
            long[] y = new long[2];
            long[] ids = {0, 1};
            for (int i = 0; i < 2; i++) {
                System.arraycopy(data.get(i).image(), 0, px, i * 784, 784);
                y[i] = data.get(i).label();
            }
            NDArray x = m.create(px, new Shape(2, 1, 28, 28));
            AttackResult r =
                    Attacks.build(c.attack())
                            .run(model, x, m.create(y), ids, AttackContext.of(c.run().seed()));
            double[] shares = r.reEvaluatedShares();
            assertEquals(2, shares.length);
            for (double s : shares) {
                assertTrue(s == 0 || s == 1.0 / 3 || s == 2.0 / 3 || s == 1, "share " + s);
            }
        }
    }
}
