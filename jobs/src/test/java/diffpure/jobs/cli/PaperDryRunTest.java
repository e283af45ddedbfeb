package diffpure.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code bin/diffpure evaluate conf/experiments/<paper setting>.conf --dry-run} for every paper
 * setting, with stand-in exports at the real shapes (CIFAR-10 3x32x32 and 10 classes; ImageNet
 * 3x256x256 eps and 3x224x224 classifier with 1000 classes; CelebA-HQ 3x256x256 and 2 classes) and
 * generated data in each format. The chains are shortened (purify.dt, purify.ddpm-steps) to keep
 * the test fast; everything else is the experiment file's.
 */
class PaperDryRunTest {
    @TempDir static Path data;

    @BeforeAll
    static void writeData() throws IOException {
        PaperData.writeAll(data);
    }

    static Stream<String> paperSettings() throws IOException {
        try (Stream<Path> files = Files.list(PaperData.ROOT.resolve("conf/experiments"))) {
            List<String> names =
                    files.map(p -> p.getFileName().toString())
                            .filter(n -> n.endsWith(".conf") && !n.equals("demo.conf"))
                            .map(n -> n.substring(0, n.length() - ".conf".length()))
                            .sorted()
                            .toList();
            assertTrue(names.size() >= 15, names.toString());
            return names.stream();
        }
    }

    private static String[] args(String experiment, String... extra) {
        List<String> a = new ArrayList<>();
        a.add("evaluate");
        a.add(PaperData.ROOT.resolve("conf/experiments/" + experiment + ".conf").toString());
        a.add("--dry-run");
        for (String s : PaperData.overrides(experiment, data)) {
            a.add("--set");
            a.add(s);
        }
        for (String s :
                List.of(
                        "data.count=4",
                        "run.batch-samples=1",
                        // Short chains keep the test fast on a CPU; what the dry run must get
                        // through (config, stand-ins at the real shapes, data, pairing, the
                        // attack's budget) is the same at every length.
                        "purify.dt=0.05",
                        "purify.ddpm-steps=10",
                        "runtime.device=cpu",
                        "runtime.torch-threads=1")) {
            a.add("--set");
            a.add(s);
        }
        for (String s : extra) {
            a.add("--set");
            a.add(s);
        }
        return a.toArray(new String[0]);
    }

    @ParameterizedTest
    @MethodSource("paperSettings")
    void dryRunWorksWithStandInExports(String experiment) {
        String out = ModelCommandTest.run(0, args(experiment));
        assertTrue(out.contains("dry run of " + experiment + ": 4 samples"), out);
        assertTrue(out.contains("per sample (upper bound):"), out);
        assertTrue(out.matches("(?s).*estimate: [0-9.]+ s per sample.*"), out);
    }

    @Test
    void imagenetWithoutTheResizeKeyNamesBothShapesAndTheKey() {
        String out = ModelCommandTest.run(2, args("imagenet-linf-resnet50", "purify.resize=none"));
        assertTrue(out.contains("takes (3, 224, 224) images"), out);
        assertTrue(out.contains("(3, 256, 256)"), out);
        assertTrue(out.contains("set purify.resize = bilinear"), out);
    }
}
