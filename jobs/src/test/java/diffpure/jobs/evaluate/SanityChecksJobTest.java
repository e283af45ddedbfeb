package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import diffpure.attack.Attacks;
import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.experiment.Experiments;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.run.TaskSpec;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gradient-masking checks inside evaluation runs (local Spark, one shared session): each check
 * fires on a model built to trigger it, with its warning in the runs table's {@code sanity} JSON
 * and on the subset's rows only; they are quiet on the demo models with the demo settings; and the
 * sanity stage runs for every attack name the config accepts.
 *
 * <p>The trigger models are TorchScript files written by {@code tools/test_fixtures.py masking}:
 * the demo CNN behind a 4-bit input quantizer (masked gradients), and two synthetic classifiers on
 * uniform gray images purified by a score-free VP chain (Gaussian noise of known law), whose
 * decision regions make a fixed-step PGD overshoot a thin adversarial shell at a larger eps, and
 * make more iterations reach points of rare but huge losses that win the attack's best-iterate
 * tie-break although fresh votes are right there half of the time.
 */
class SanityChecksJobTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static final Path FIXTURES =
            TinyRuns.ROOT.resolve("common/src/test/resources/fixtures");

    /** 40 uniform gray (128/255) 28 x 28 images, all of label 0: the synthetic triggers' data. */
    private static Path grayImages;

    private static Path grayLabels;

    @BeforeAll
    static void start() throws IOException {
        spark = TinyRuns.session("SanityChecksJobTest");
        grayImages = tmp.resolve("gray-images-idx3-ubyte");
        grayLabels = tmp.resolve("gray-labels-idx1-ubyte");
        int n = 40;
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(grayImages))) {
            o.writeInt(2051);
            o.writeInt(n);
            o.writeInt(28);
            o.writeInt(28);
            byte[] gray = new byte[n * 784];
            java.util.Arrays.fill(gray, (byte) 128);
            o.write(gray);
        }
        try (OutputStream f = Files.newOutputStream(grayLabels);
                DataOutputStream o = new DataOutputStream(f)) {
            o.writeInt(2049);
            o.writeInt(n);
            o.write(new byte[n]);
        }
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** A run on the tiny settings (TinyRuns) with these overrides; returns the runs row. */
    private static Run run(String name, String... overrides) {
        ConfigLoader.Loaded c = TinyRuns.config(tmp.resolve(name), overrides);
        return run(c);
    }

    private static Run run(ConfigLoader.Loaded c) {
        EvaluationJob.Outcome o = EvaluationJob.run(spark, c, TinyRuns.options());
        assertTrue(o.complete());
        Row runs =
                spark.read()
                        .parquet(o.runsPath())
                        .where(functions.col("run_id").equalTo(o.runId()))
                        .first();
        System.out.println(c.config().experiment() + " sanity: " + runs.getAs("sanity"));
        List<Row> rows =
                spark.read()
                        .parquet(o.samplesPath())
                        .where(functions.col("run_id").equalTo(o.runId()))
                        .orderBy("sample_index")
                        .collectAsList();
        return new Run(runs.getAs("sanity"), rows);
    }

    /** A finished run: its sanity JSON and its rows. */
    private record Run(String sanity, List<Row> rows) {
        /** Each check's warning (null when quiet), by name, in order. */
        Map<String, String> warnings() {
            Map<String, String> w = new LinkedHashMap<>();
            for (Config c : ConfigFactory.parseString(sanity).getConfigList("checks")) {
                w.put(c.getString("name"), c.hasPath("warning") ? c.getString("warning") : null);
            }
            return w;
        }

        /** What one check measured. */
        Config measured(String check) {
            for (Config c : ConfigFactory.parseString(sanity).getConfigList("checks")) {
                if (c.getString("name").equals(check)) {
                    return c.getConfig("measured");
                }
            }
            throw new AssertionError("no check " + check + " in " + sanity);
        }

        /**
         * Asserts that the subset's rows, and only they, carry every warning of the checks, and
         * that the subset is the first n planned samples (the plan is in ascending index order).
         */
        void assertWarningsOnSubsetRows(int subset) {
            List<String> fired =
                    warnings().values().stream().filter(w -> w != null).map(w -> w).toList();
            assertFalse(fired.isEmpty(), sanity);
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                boolean in = r.getAs("sanity_subset");
                assertEquals(i < subset, in, r.toString());
                List<String> rowWarnings = r.getList(r.fieldIndex("warnings"));
                for (String w : fired) {
                    assertEquals(
                            in,
                            rowWarnings.contains("gradient-masking check: " + w),
                            "row " + r.getAs("sample_id") + ": " + rowWarnings);
                }
            }
        }
    }

    private static String fixture(String name) {
        return FIXTURES.resolve(name).toString();
    }

    /** The synthetic triggers: gray images, the score-free chain, this classifier. */
    private static String[] synthetic(String classifier, int count, String... more) {
        List<String> all =
                new ArrayList<>(
                        List.of(
                                "data.images=" + grayImages,
                                "data.labels=" + grayLabels,
                                "data.count=" + count,
                                "model.score-model=" + fixture("zero-score-model-1x28.pt"),
                                "model.classifier=" + fixture(classifier),
                                "run.chunk-samples=" + count,
                                "run.partition-samples=" + count / 2,
                                "run.batch-samples=" + count / 2,
                                "sanity.subset=" + count,
                                "sanity.square-queries=10"));
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    @Test
    void maskedGradientsTripTheZeroGradientUnboundedAndSquareChecks() {
        // The demo CNN behind a 4-bit input quantizer, on Fashion-MNIST, purified by the
        // score-free chain (noise; the demo U-Net would only make the test slower): input
        // gradients are zero, so PGD never leaves the clean image, also at eps 1, while Square's
        // random search needs no gradient.
        Run r =
                run(
                        "quantized",
                        "model.score-model=" + fixture("zero-score-model-1x28.pt"),
                        "model.classifier=" + fixture("quantized-demo-classifier.pt"),
                        "data.count=10",
                        "attack.eps=0.15",
                        "sanity.subset=8",
                        "sanity.square-queries=100");
        Map<String, String> w = r.warnings();
        assertTrue(
                String.valueOf(w.get("zero-gradients"))
                        .equals("pgd-eot: 8 of 8 samples had all-zero input gradients"),
                r.sanity());
        assertEquals(8, r.measured("zero-gradients").getInt("samples_with_zero_gradients"));
        assertTrue(
                String.valueOf(w.get("unbounded"))
                        .startsWith("pgd-eot with unbounded eps 1.000 left"),
                r.sanity());
        assertTrue(r.measured("unbounded").getDouble("robust") > 0.02, r.sanity());
        assertTrue(
                String.valueOf(w.get("square")).startsWith("square (100 queries) left"),
                r.sanity());
        Config sq = r.measured("square");
        assertTrue(
                sq.getDouble("robust_square") <= sq.getDouble("robust_attack") - 0.05, r.sanity());
        r.assertWarningsOnSubsetRows(8);
    }

    @Test
    void aFixedStepThatOvershootsAThinShellTripsTheLargerEpsCheck() {
        // PGD steps of 0.04 from the gray image: at eps 0.06 the projection lands on the shell at
        // a = 0.06 (wrong), at eps 0.12 the iterates are 0, 0.04, 0.08, 0.12 (all right). The
        // purification noise moves a by about 0.001, the shell is 0.01 wide: every sample goes the
        // same way.
        Run r =
                run(
                        "shell",
                        synthetic(
                                "shell-classifier.pt",
                                8,
                                "attack.eps=0.06",
                                "attack.step=0.04",
                                "attack.iterations=3"));
        Map<String, String> w = r.warnings();
        assertTrue(
                String.valueOf(w.get("larger-eps"))
                        .startsWith(
                                "robust accuracy rose from 0.0% to 100.0% with pgd-eot at eps 0.12"
                                        + " instead of 0.06"),
                r.sanity());
        Config m = r.measured("larger-eps");
        assertEquals(8, m.getInt("only_base_broken"));
        assertEquals(0, m.getInt("only_stronger_broken"));
        // Twice the iterations at eps 0.06 stay on the shell: that check is quiet.
        assertNull(w.get("more-iterations"), r.sanity());
        r.assertWarningsOnSubsetRows(8);
    }

    @Test
    void rareHugeLossesPastTheBudgetTripTheMoreIterationsCheck() {
        // 12 steps of 0.02 stay where every draw is wrong (a < 0.25): robust 0. The 24-step rerun
        // also evaluates 12 iterates where a draw is wrong only half of the time but then with a
        // loss 10x larger, and returns one of them whenever all 3 EOT copies of an evaluation
        // were wrong (p = 1/8 each, so about 80% of samples); fresh majority-of-3 votes are right
        // there half of the time. Expected: about 40% of the 32 samples robust only in the rerun,
        // none the other way round; not a chance effect of the draws.
        Run r =
                run(
                        "heavy-tail",
                        synthetic(
                                "heavy-tail-classifier.pt",
                                32,
                                "attack.eps=0.5",
                                "attack.step=0.02",
                                "attack.iterations=12",
                                "attack.eot=3"));
        Map<String, String> w = r.warnings();
        assertTrue(
                String.valueOf(w.get("more-iterations"))
                        .matches(
                                "robust accuracy rose from 0\\.0% to [0-9.]+% with pgd-eot with 24"
                                        + " instead of 12 iterations \\(one-sided paired p = .*\\)"),
                r.sanity());
        Config m = r.measured("more-iterations");
        assertEquals(0.0, m.getDouble("robust_base"));
        assertEquals(0, m.getInt("only_stronger_broken"));
        assertTrue(m.getDouble("p_one_sided") < 0.05, r.sanity());
        // eps 1 with the same 12 steps walks the same path: that check is quiet.
        assertNull(w.get("larger-eps"), r.sanity());
        assertNull(w.get("zero-gradients"), r.sanity());
        r.assertWarningsOnSubsetRows(32);
    }

    @Test
    void theChecksAreQuietOnTheDemo() {
        // conf/experiments/demo.conf as bin/demo runs it (t* = 0.1, PGD-EOT 10 x EOT 2, exact
        // gradients, Square 100 queries), on 4 samples (all in the sanity subset) and a 5-step
        // chain instead of 10.
        Path root = TinyRuns.ROOT;
        ConfigLoader.Loaded c =
                Experiments.load(
                        root.resolve("conf/experiments/demo.conf").toString(),
                        List.of(
                                "run.output=" + tmp.resolve("demo").toUri(),
                                "data.images="
                                        + root.resolve(
                                                "models/demo/data/t10k-images-idx3-ubyte.gz"),
                                "data.labels="
                                        + root.resolve(
                                                "models/demo/data/t10k-labels-idx1-ubyte.gz"),
                                "data.count=4",
                                "model.score-model=" + root.resolve("models/demo/eps.pt"),
                                "model.classifier=" + root.resolve("models/demo/classifier.pt"),
                                "purify.dt=0.02",
                                "sanity.subset=4"),
                        Map.of(),
                        new Properties());
        assertEquals(0.1, c.config().purify().tStar());
        assertEquals(10, c.config().attack().iterations());
        assertEquals(2, c.config().attack().eot());
        assertEquals(100, c.config().sanity().squareQueries());
        Run r = run(c);
        for (Map.Entry<String, String> e : r.warnings().entrySet()) {
            assertNull(e.getValue(), e.getKey() + ": " + r.sanity());
        }
        assertEquals(
                List.of("zero-gradients", "more-iterations", "larger-eps", "unbounded", "square"),
                List.copyOf(r.warnings().keySet()));
        for (Row row : r.rows()) {
            assertTrue(row.<Boolean>getAs("sanity_subset"));
            assertEquals(List.of(), row.getList(row.fieldIndex("warnings")), row.toString());
        }
    }

    @Test
    void theSanityStageRunsForEveryAttackName() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        for (String name : Attacks.NAMES) {
            List<String> set = new ArrayList<>();
            set.add("attack.name=" + name);
            set.add("attack.iterations=1");
            set.add("sanity.subset=2");
            set.add("sanity.square-queries=4");
            switch (name) {
                case "stadv" -> {
                    set.add("attack.norm=flow-Linf");
                    set.add("attack.eps=0.05");
                }
                case "bpda-eot" -> {
                    set.add("attack.gradient-mode=bpda");
                    set.add("attack.eps=0.3");
                }
                case "diffhammer" -> { // its N copies replace EOT
                    set.add("attack.eot=1");
                    set.add("attack.evaluations=2");
                    set.add("attack.eps=0.3");
                }
                case "lf" -> {
                    set.add("attack.norm=lpips");
                    set.add("attack.eps=0.0001");
                    set.add(
                            "model.perceptual="
                                    + TinyRuns.ROOT.resolve(
                                            "common/src/test/resources/fixtures/exported/"
                                                    + "standin-perceptual.pt"));
                }
                // Large enough that the gradient members break the samples, so that the 5000
                // queries of autoattack-standard's Square have nothing left to attack.
                default -> set.add("attack.eps=0.3");
            }
            ExperimentConfig c =
                    TinyRuns.config(tmp.resolve("every-" + name), set.toArray(new String[0]))
                            .config();
            Preflight.check(c, spark.sparkContext().hadoopConfiguration());
            RunPlan plan = EvaluationJob.plan(spark, c);
            List<SampleRef> subset = plan.firstValid(2);
            String json =
                    SanityTask.run(
                            jsc,
                            TaskSpec.Manifests.read(c, spark.sparkContext().hadoopConfiguration())
                                    .spec(c),
                            subset);
            Config parsed = ConfigFactory.parseString(json);
            assertEquals(2, parsed.getInt("subset"), name + ": " + json);
            List<String> names =
                    parsed.getConfigList("checks").stream().map(k -> k.getString("name")).toList();
            assertEquals(
                    List.of(
                            "zero-gradients",
                            "more-iterations",
                            "larger-eps",
                            "unbounded",
                            "square"),
                    names,
                    name + ": " + json);
            if (name.equals("stadv") || name.equals("lf")) { // Square needs a pixel ball
                assertTrue(json.contains("\"skipped\""), json);
            }
            SanityTask.Result r = SanityTask.Result.parse(json, subset);
            assertEquals(2, r.ids().size(), name);
            System.out.println("sanity stage of " + name + ": " + json);
        }
    }
}
