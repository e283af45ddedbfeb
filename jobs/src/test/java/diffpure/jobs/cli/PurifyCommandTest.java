package diffpure.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.jobs.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line end to end on the demo models with a tiny budget. */
class PurifyCommandTest {
    private static final Path ROOT = Path.of(System.getProperty("diffpure.repo.root", ".."));

    private static String[] demoArgs(String... extra) {
        return commandArgs("purify", extra);
    }

    private static String[] commandArgs(String command, String... extra) {
        String[] base = {
            command,
            "--score-model",
            ROOT.resolve("models/demo/eps.pt").toString(),
            "--classifier",
            ROOT.resolve("models/demo/classifier.pt").toString(),
            "--images",
            ROOT.resolve("models/demo/data/t10k-images-idx3-ubyte.gz").toString(),
            "--labels",
            ROOT.resolve("models/demo/data/t10k-labels-idx1-ubyte.gz").toString(),
        };
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    /** {@code bench SUB} with the demo files. */
    private static String[] benchArgs(String sub, String... extra) {
        String[] args = commandArgs(sub, extra);
        String[] all = new String[args.length + 1];
        all[0] = "bench";
        System.arraycopy(args, 0, all, 1, args.length);
        return all;
    }

    private static String run(int expectedCode, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cl = new CommandLine(new Main());
            cl.setErr(
                    new java.io.PrintWriter(
                            new PrintStream(out, true, StandardCharsets.UTF_8), true));
            cl.setExecutionExceptionHandler(
                    (e, cmd, parsed) -> {
                        cmd.getErr().println("error: " + e.getMessage());
                        return 2;
                    });
            code = cl.execute(args);
        } finally {
            System.setOut(previous);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(expectedCode, code, text);
        return text;
    }

    @Test
    void purifiesClassifiesAndTimesGradients() {
        String out =
                run(
                        0,
                        demoArgs(
                                "--n",
                                "8",
                                "--batch",
                                "4",
                                "--dt",
                                "2e-2",
                                "--gradient-images",
                                "2",
                                "--eot",
                                "2",
                                "--gradient-mode",
                                "adjoint",
                                "--threads",
                                "1"));
        assertTrue(out.contains("purified accuracy"), out);
        assertTrue(out.contains("undefended accuracy"), out);
        assertTrue(out.contains("gradient (adjoint, EOT 2)"), out);
        assertTrue(out.contains("adjoint reconstruction error"), out);
    }

    @Test
    void badValuesAreReportedWithTheirKey() {
        assertTrue(run(2, demoArgs("--dt", "0")).contains("purify.dt must be > 0"));
        assertTrue(run(2, demoArgs("--t-star", "1.5")).contains("purify.t-star must be in (0, 1]"));
        assertTrue(run(2, demoArgs("--t-star", "0.9")).contains("above the largest time"));
        assertTrue(
                run(2, demoArgs("--purifier", "heun"))
                        .contains("purify.kind must be vp-sde, pf-ode or ddpm"));
        assertTrue(
                run(2, demoArgs("--gradient-mode", "magic"))
                        .contains("attack.gradient-mode must be one of"));
        assertTrue(
                run(2, demoArgs("--device", "tpu"))
                        .contains("runtime.device must be cpu, gpu, gpu:N or auto"));
    }

    @Test
    void attackCommandLowersRobustAccuracyOnTheUndefendedClassifier() {
        String out =
                run(
                        0,
                        commandArgs(
                                "attack",
                                "--attack",
                                "apgd-ce",
                                "--epsilon",
                                "0.3",
                                "--iterations",
                                "5",
                                "--n",
                                "16",
                                "--batch",
                                "8",
                                "--threads",
                                "1"));
        double clean = Double.parseDouble(out.replaceAll("(?s).*clean accuracy ([0-9.]+).*", "$1"));
        double robust =
                Double.parseDouble(out.replaceAll("(?s).*robust accuracy ([0-9.]+).*", "$1"));
        assertTrue(clean >= 0.8, out);
        assertTrue(robust <= 0.1, out);
        // Progress after each batch of 8.
        assertTrue(out.contains("progress: 8/16 images"), out);
        assertTrue(out.contains("progress: 16/16 images"), out);
        assertTrue(
                run(2, commandArgs("attack", "--epsilon", "x"))
                        .contains("--epsilon must be a number"));
    }

    @Test
    void attackCommandRunsLfUnderAPerceptualBound() {
        String standin =
                ROOT.resolve("common/src/test/resources/fixtures/exported/standin-perceptual.pt")
                        .toString();
        String out =
                run(
                        0,
                        commandArgs(
                                "attack",
                                "--attack",
                                "lf",
                                "--norm",
                                "lpips",
                                "--perceptual",
                                standin,
                                "--early-stop",
                                "plurality",
                                "--epsilon",
                                "0.0001",
                                "--iterations",
                                "5",
                                "--n",
                                "4",
                                "--batch",
                                "4",
                                "--threads",
                                "1"));
        assertTrue(out.contains("lf on "), out);
        assertTrue(out.contains("robust accuracy"), out);
        assertTrue(
                run(
                                2,
                                commandArgs(
                                        "attack",
                                        "--attack",
                                        "apgd-ce",
                                        "--norm",
                                        "lpips",
                                        "--perceptual",
                                        standin,
                                        "--epsilon",
                                        "0.05"))
                        .contains(
                                "--attack lf takes --norm lpips, and --norm lpips only --attack lf"));
        assertTrue(
                run(
                                2,
                                commandArgs(
                                        "attack",
                                        "--attack",
                                        "lf",
                                        "--norm",
                                        "lpips",
                                        "--epsilon",
                                        "0.05"))
                        .contains("--perceptual goes with --norm lpips"));
    }

    @Test
    void attackCommandRunsDiffHammerWithBothGraftingsOnTheAnalyticDefence() {
        String[] args = {
            "attack",
            "--defence",
            "analytic",
            "--attack",
            "diffhammer",
            "--epsilon",
            "0.1",
            "--iterations",
            "2",
            "--evaluations",
            "3",
            "--eot",
            "1",
            "--dt",
            "1e-2",
            "--n",
            "4",
            "--batch",
            "4",
            "--threads",
            "1",
            "--gradient-mode",
            "surrogate",
            "--surrogate-steps",
            "5",
            "--grafting",
            "authors"
        };
        String out = run(0, args);
        assertTrue(out.contains("diffhammer on mixture-bayes("), out);
        assertTrue(out.contains("robust accuracy"), out);
        String[] bad = args.clone();
        bad[bad.length - 1] = "fine";
        assertTrue(run(2, bad).contains("fine"), "an unknown grafting is named");
        String[] eot = args.clone();
        eot[Arrays.asList(args).indexOf("--eot") + 1] = "2";
        assertTrue(run(2, eot).contains("eot"), "diffhammer refuses EOT > 1 by name");
    }

    @Test
    void analyticDefenceRunsSurrogateGradientsWithBudgetCheckpoints(@TempDir Path dir)
            throws Exception {
        Path csv = dir.resolve("analytic.csv");
        String[] args = {
            "attack",
            "--defence",
            "analytic",
            "--attack",
            "pgd-eot",
            "--epsilon",
            "0.1",
            "--iterations",
            "3",
            "--eot",
            "2",
            "--dt",
            "1e-2",
            "--n",
            "8",
            "--batch",
            "4",
            "--threads",
            "1",
            "--gradient-mode",
            "surrogate",
            "--surrogate-steps",
            "5",
            "--checkpoints",
            "1,3",
            "--per-sample",
            csv.toString()
        };
        String out = run(0, args);
        assertTrue(out.contains("mixture-bayes("), out);
        assertTrue(
                out.contains("surrogate gradient per row: 5 x (F + V) through vp-sde-euler")
                        && out.contains("+ 10 x F for the defence's evaluation"),
                out);
        List<String> lines = Files.readAllLines(csv);
        assertEquals(
                "id,label,clean_pred,adv_pred,adv_pred_at_1,gradients_at_1,adv_pred_at_3,"
                        + "gradients_at_3",
                lines.get(0));
        assertEquals(9, lines.size());
        for (String line : lines.subList(1, 9)) {
            String[] f = line.split(",");
            // the last checkpoint is the returned image, voted with the same noise
            assertEquals(f[3], f[6], line);
            assertEquals("6", f[7], line); // 3 iterations x EOT 2
        }
        String[] tooMany = args.clone();
        tooMany[Arrays.asList(args).indexOf("--surrogate-steps") + 1] = "11";
        assertTrue(
                run(2, tooMany).contains("attack.surrogate-steps must be in [1, 10]"),
                "more surrogate steps than the defence's 10 are refused");
        String[] unknown = args.clone();
        unknown[2] = "other";
        assertTrue(run(2, unknown).contains("--defence must be models or analytic"));
    }

    @Test
    void defendedAttackWritesOneRowPerImageAndCountsEotGradients(@TempDir Path dir)
            throws Exception {
        Path csv = dir.resolve("out/per-sample.csv");
        String out =
                run(
                        0,
                        commandArgs(
                                "attack",
                                "--attack",
                                "pgd-eot",
                                "--defended",
                                "--epsilon",
                                "0.1",
                                "--iterations",
                                "2",
                                "--eot",
                                "2",
                                "--dt",
                                "2e-2",
                                "--n",
                                "3",
                                "--batch",
                                "2",
                                "--threads",
                                "1",
                                "--per-sample",
                                csv.toString()));
        // 3 images x 2 iterations x 2 EOT copies
        assertTrue(out.contains("input gradients 12 "), out);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("id,label,clean_pred,adv_pred", lines.get(0));
        assertEquals(4, lines.size(), lines.toString());
        int robust = 0;
        for (String line : lines.subList(1, 4)) {
            String[] f = line.split(",");
            robust += f[1].equals(f[2]) && f[1].equals(f[3]) ? 1 : 0;
        }
        assertTrue(
                out.contains(
                        "robust accuracy "
                                + String.format(Locale.ROOT, "%.4f (%d/3)", robust / 3.0, robust)),
                out);
        try (var files = Files.list(csv.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void deviceParityOfADeviceWithItselfIsExactAndAGpuIsCheckedWhereThereIsOne() {
        String same =
                run(
                        0,
                        benchArgs(
                                "device-parity",
                                "--device",
                                "cpu",
                                "--reference-device",
                                "cpu",
                                "--n",
                                "3",
                                "--eot",
                                "1",
                                "--t-star",
                                "0.02",
                                "--modes",
                                "exact,adjoint",
                                "--threads",
                                "1"));
        // keyed noise: the same device gives bit-identical logits and gradients
        assertTrue(same.contains("\"logit_max_relative_difference\":0.0"), same);
        assertTrue(same.contains("\"prediction_agreement\":1.0"), same);
        assertTrue(same.contains("\"gradient_relative_error.adjoint\":0.0"), same);
        // a tolerance no real comparison meets makes the command fail with exit code 1
        run(
                1,
                benchArgs(
                        "device-parity",
                        "--n",
                        "2",
                        "--eot",
                        "1",
                        "--t-star",
                        "0.02",
                        "--modes",
                        "exact",
                        "--min-cosine",
                        "1.5",
                        "--threads",
                        "1"));
        org.junit.jupiter.api.Assumptions.assumeTrue(
                ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount() > 0,
                "no GPU: the GPU-against-CPU check runs only where libtorch sees one");
        run(0, benchArgs("device-parity", "--device", "gpu", "--t-star", "0.02", "--threads", "1"));
    }

    @Test
    void noiseBenchReportsTheCriticalPathInlineAndDrawnAhead() {
        String out =
                run(
                        0,
                        "bench",
                        "noise",
                        "--shape",
                        "3,16,16",
                        "--rows",
                        "8",
                        "--steps",
                        "5",
                        "--step-ms",
                        "5",
                        "--noise-threads",
                        "2");
        assertTrue(out.contains("\"inline_ms_per_step\""), out);
        assertTrue(out.contains("\"drawn_ahead_critical_ms_per_step\""), out);
    }

    @Test
    void attackProfileChargesTheAttackThreadsTimeToTheScoreModelCalls() {
        String out =
                run(
                        0,
                        commandArgs(
                                "attack",
                                "--attack",
                                "pgd-eot",
                                "--defended",
                                "--epsilon",
                                "0.1",
                                "--iterations",
                                "2",
                                "--eot",
                                "2",
                                "--t-star",
                                "0.05",
                                "--dt",
                                "5e-3",
                                "--n",
                                "4",
                                "--batch",
                                "4",
                                "--threads",
                                "1",
                                "--profile"));
        java.util.regex.Matcher total =
                java.util.regex.Pattern.compile("profile: ([0-9.]+) s wall, ([0-9.]+) s sampled")
                        .matcher(out);
        assertTrue(total.find(), out);
        double sampled = Double.parseDouble(total.group(2));
        assertTrue(sampled > 0, out);
        // every kind and phase line is a share of the sampled time: the kinds add up to it, and the
        // model calls (three kinds of score-model work) are most of an attack's time
        double kinds = 0;
        double model = 0;
        double phases = 0;
        boolean inPhases = false;
        java.util.regex.Pattern line =
                java.util.regex.Pattern.compile("^  (\\S.*?)\\s+([0-9.]+) s\\s+([0-9.]+) %$");
        for (String l : out.split("\\R")) {
            if (l.equals("  by phase:")) {
                inPhases = true;
                continue;
            }
            java.util.regex.Matcher m = line.matcher(l);
            if (!m.matches()) {
                continue;
            }
            double seconds = Double.parseDouble(m.group(2));
            if (inPhases) {
                phases += seconds;
            } else {
                kinds += seconds;
                model += m.group(1).startsWith("score model:") ? seconds : 0;
            }
        }
        assertEquals(sampled, kinds, 0.05 + 1e-3 * sampled, out);
        assertEquals(sampled, phases, 0.05 + 1e-3 * sampled, out);
        assertTrue(model > 0.5 * sampled, out);
        assertTrue(out.contains("score model: chain step without graph"), out);
        assertTrue(out.contains("score model: autograd backward"), out);
    }

    @Test
    void stepRowsBenchGivesEachModesCeilingFromTheSamePerCallTimes() {
        String out =
                run(
                        0,
                        benchArgs(
                                "step-rows",
                                "--rows",
                                "2,4",
                                "--rounds",
                                "1",
                                "--calls",
                                "2",
                                "--t-star",
                                "0.02",
                                "--threads",
                                "1"));
        String json = out.substring(out.indexOf("JSON ") + 5).trim();
        com.google.gson.JsonObject o =
                com.google.gson.JsonParser.parseString(json).getAsJsonObject();
        int n = 20; // t* = 0.02 at dt 1e-3
        for (String rows : List.of("rows_2", "rows_4")) {
            double f = o.get(rows + ".forward_ms_per_row").getAsDouble() / 1e3;
            double v = o.get(rows + ".vjp_ms_per_row").getAsDouble() / 1e3;
            assertTrue(f > 0 && v > 0, out);
            assertEquals(
                    1 / (n * v),
                    o.get(rows + ".ceiling.backprop").getAsDouble(),
                    1e-6 / (n * v),
                    out);
            assertEquals(
                    1 / (n * (f + v)),
                    o.get(rows + ".ceiling.exact").getAsDouble(),
                    1e-6 / (n * (f + v)),
                    out);
            assertEquals(
                    1 / (n * (2 * f + v)),
                    o.get(rows + ".ceiling.checkpointed").getAsDouble(),
                    1e-6 / (n * (2 * f + v)),
                    out);
        }
        assertTrue(out.contains(" 20 model steps"), out);
    }
}
