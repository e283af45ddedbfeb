package diffpure.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Paths of the committed demo models and data, from the repository root Maven passes to the tests.
 */
public final class DemoFiles {
    private DemoFiles() {}

    public static Path repoRoot() {
        String root = System.getProperty("diffpure.repo.root");
        Path p = root != null ? Path.of(root) : Path.of("..");
        if (!Files.isDirectory(p.resolve("models/demo"))) {
            throw new IllegalStateException("cannot find models/demo under " + p.toAbsolutePath());
        }
        return p;
    }

    public static Path scoreModel() {
        return repoRoot().resolve("models/demo/eps.pt");
    }

    public static Path classifier() {
        return repoRoot().resolve("models/demo/classifier.pt");
    }

    public static Path testImages() {
        return repoRoot().resolve("models/demo/data/t10k-images-idx3-ubyte.gz");
    }

    public static Path testLabels() {
        return repoRoot().resolve("models/demo/data/t10k-labels-idx1-ubyte.gz");
    }
}
