package diffpure.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.jobs.Main;
import diffpure.model.ModelManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code diffpure model}: register a bare TorchScript file, verify it, purify with it. */
class ModelCommandTest {
    private static final Path ROOT = Path.of(System.getProperty("diffpure.repo.root", ".."));
    private static final Path FIXTURES = ROOT.resolve("common/src/test/resources/fixtures");

    @TempDir Path tmp;

    /** Runs the command line as bin/diffpure does and returns stdout + stderr. */
    static String run(int expectedCode, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int code;
        try {
            PrintStream capture = new PrintStream(out, true, StandardCharsets.UTF_8);
            System.setOut(capture);
            CommandLine cl = new CommandLine(new Main());
            cl.setErr(new PrintWriter(capture, true));
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

    private Path bare(Path pt) throws IOException {
        Path copy = tmp.resolve(pt.getFileName());
        Files.copy(pt, copy);
        return copy;
    }

    @Test
    void manifestThenVerifyThenPurify() throws IOException {
        Path scoreModel = bare(ROOT.resolve("models/demo/eps.pt"));
        String out =
                run(
                        0,
                        "model",
                        "manifest",
                        scoreModel.toString(),
                        "--kind",
                        "score-model",
                        "--input-shape",
                        "1,28,28",
                        "--t-max",
                        "0.5",
                        "--name",
                        "my-eps",
                        "--source",
                        "my training run",
                        "--threads",
                        "1");
        Path json = tmp.resolve("eps.json");
        assertTrue(out.contains("wrote " + json), out);
        assertTrue(out.contains("ok  batch independence"), out);
        assertTrue(out.contains("verified: my-eps@"), out);
        ModelManifest m = ModelManifest.read(json);
        assertEquals("my-eps", m.name());
        assertEquals("my training run", m.source());
        assertEquals(0.5, m.maxTime());

        String verified = run(0, "model", "verify", scoreModel.toString(), "--threads", "1");
        for (String check :
                new String[] {
                    "manifest",
                    "kind: score-model",
                    "sha256",
                    "load",
                    "output shape",
                    "finite output",
                    "batch independence",
                    "golden probe"
                }) {
            assertTrue(verified.contains("ok  " + check), verified);
        }

        String purified =
                run(
                        0,
                        "purify",
                        "--score-model",
                        scoreModel.toString(),
                        "--classifier",
                        ROOT.resolve("models/demo/classifier.pt").toString(),
                        "--images",
                        ROOT.resolve("models/demo/data/t10k-images-idx3-ubyte.gz").toString(),
                        "--labels",
                        ROOT.resolve("models/demo/data/t10k-labels-idx1-ubyte.gz").toString(),
                        "--n",
                        "4",
                        "--batch",
                        "4",
                        "--dt",
                        "2e-2",
                        "--gradient-mode",
                        "none",
                        "--threads",
                        "1");
        assertTrue(purified.contains("purified accuracy"), purified);
        assertTrue(purified.contains("my-eps@"), purified);

        String inspected = run(0, "model", "inspect", scoreModel.toString(), "--threads", "1");
        assertTrue(inspected.contains("\"name\": \"my-eps\""), inspected);
        assertTrue(inspected.contains("input        (1, 1, 28, 28)"), inspected);
        assertTrue(inspected.contains("output       (1, 1, 28, 28)"), inspected);
        assertTrue(inspected.contains("MACs/image   unknown"), inspected);
        assertTrue(inspected.matches("(?s).*forward      [0-9.]+ s at batch 1.*"), inspected);
        assertTrue(inspected.matches("(?s).*forward\\+grad [0-9.]+ s at batch 1.*"), inspected);

        // An existing manifest is only replaced on request.
        String again =
                run(
                        2,
                        "model",
                        "manifest",
                        scoreModel.toString(),
                        "--kind",
                        "score-model",
                        "--input-shape",
                        "1,28,28");
        assertTrue(again.contains(json + " exists; pass --force"), again);
    }

    @Test
    void aPerceptualModelIsRegisteredVerifiedAndInspected() throws IOException {
        Path lpips = bare(FIXTURES.resolve("exported/standin-perceptual.pt"));
        String out =
                run(
                        0,
                        "model",
                        "manifest",
                        lpips.toString(),
                        "--kind",
                        "perceptual",
                        "--input-shape",
                        "1,28,28");
        assertTrue(
                out.contains("forward(a float32(2, 1, 28, 28), b float32(2, 1, 28, 28)) -> (2)"),
                out);
        assertFalse(out.contains("graph-bytes-per-image"), out);
        String json = Files.readString(tmp.resolve("standin-perceptual.json"));
        assertTrue(json.contains("\"kind\": \"perceptual\""), json);
        assertTrue(json.contains("\"seed\": 20223"), json);
        assertFalse(json.contains("classes"), json);
        assertTrue(run(0, "model", "verify", lpips.toString()).contains("verified: "));
        String inspect = run(0, "model", "inspect", lpips.toString(), "--batch", "2");
        assertTrue(inspect.contains("(perceptual)"), inspect);
        assertTrue(inspect.contains("output       (2)"), inspect);
        String graph = run(2, "model", "graph-bytes", lpips.toString());
        assertTrue(graph.contains("is a perceptual model: graph-bytes is measured for"), graph);
    }

    @Test
    void verifyNamesTheSha256WhenOneByteChanged() throws IOException {
        Path clf = bare(ROOT.resolve("models/demo/classifier.pt"));
        run(
                0,
                "model",
                "manifest",
                clf.toString(),
                "--kind",
                "classifier",
                "--input-shape",
                "1,28,28",
                "--classes",
                "10",
                "--threads",
                "1");
        byte[] bytes = Files.readAllBytes(clf);
        bytes[bytes.length / 2] ^= 1;
        Files.write(clf, bytes);
        String out = run(ModelCommand.CHECK_FAILED, "model", "verify", clf.toString());
        assertTrue(out.contains("ok  manifest"), out);
        assertTrue(out.contains("FAILED: " + clf + ": sha256 mismatch: file has "), out);
        assertFalse(out.contains("verified"), out);
    }

    @Test
    void wrongOutputShapeIsRefusedAndNothingIsWritten() throws IOException {
        Path f = bare(FIXTURES.resolve("wrong-shape-eps.pt"));
        String out =
                run(
                        2,
                        "model",
                        "manifest",
                        f.toString(),
                        "--kind",
                        "score-model",
                        "--input-shape",
                        "1,28,28");
        assertTrue(out.contains("wrong output shape (2, 1, 14, 28)"), out);
        assertFalse(Files.exists(tmp.resolve("wrong-shape-eps.json")));
    }

    @Test
    void batchNormInTrainModeIsRefused() throws IOException {
        Path f = bare(FIXTURES.resolve("bn-traced-train-classifier.pt"));
        String out =
                run(
                        2,
                        "model",
                        "manifest",
                        f.toString(),
                        "--kind",
                        "classifier",
                        "--input-shape",
                        "1,28,28",
                        "--classes",
                        "10");
        assertTrue(out.contains("output depends on the batch it is computed in"), out);
        assertFalse(Files.exists(tmp.resolve("bn-traced-train-classifier.json")));
    }

    @Test
    void usageErrorsNameTheOption() throws IOException {
        Path f = bare(ROOT.resolve("models/demo/classifier.pt"));
        assertTrue(
                run(
                                2,
                                "model",
                                "manifest",
                                f.toString(),
                                "--kind",
                                "clf",
                                "--input-shape",
                                "1,28,28")
                        .contains(
                                "--kind must be score-model, classifier or perceptual, found 'clf'"));
        assertTrue(
                run(
                                2,
                                "model",
                                "manifest",
                                f.toString(),
                                "--kind",
                                "classifier",
                                "--input-shape",
                                "1,28,28")
                        .contains("--kind classifier needs --classes K"));
        assertTrue(
                run(
                                2,
                                "model",
                                "manifest",
                                f.toString(),
                                "--kind",
                                "score-model",
                                "--input-shape",
                                "28x28")
                        .contains("--input-shape must be C,H,W (three integers), found '28x28'"));
        // The old names of the kind and of the purify option name the new ones.
        assertTrue(
                run(2, "model", "manifest", f.toString(), "--kind", "eps", "--input-shape", "1,1,1")
                        .contains("--kind eps was renamed --kind score-model"));
        assertTrue(
                run(2, "purify", "--eps", ROOT.resolve("models/demo/eps.pt").toString())
                        .contains("--eps was renamed --score-model"));
        String missing = run(ModelCommand.CHECK_FAILED, "model", "verify", f.toString());
        assertTrue(missing.contains("FAILED: " + tmp.resolve("classifier.json")), missing);
        assertTrue(missing.contains("model manifest not found"), missing);
    }
}
