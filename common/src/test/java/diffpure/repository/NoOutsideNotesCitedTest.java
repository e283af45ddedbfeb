package diffpure.repository;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Nothing in the repository cites the team's notes, which live outside it and which a user cannot
 * open: the design, toolchain, field and style notes, or the folder beside the checkout that holds
 * them. The one exception is a benchmark command that runs a reference harness script from that
 * folder's reference/ directory (its path is an argument the user replaces). Every tracked text
 * file is scanned; a failure names each file and line.
 */
class NoOutsideNotesCitedTest {
    /** The notes by name (a path inside the repository, such as docs/x/NAME.md, is fine). */
    private static final Pattern NOTE =
            Pattern.compile("(?<![\\w/.-])(DESIGN|TOOLCHAIN|FIELD|STYLE)\\.md");

    /** The folder beside the checkout, except a reference harness script or folder path. */
    private static final Pattern OUTSIDE_FOLDER =
            Pattern.compile("\\.\\./shared(?!/reference(?![\\w.-]|/README))|/work/s[h]ared");

    /** Folders that are never tracked but may exist in a working tree without git. */
    private static final Set<String> UNTRACKED_DIRS =
            Set.of(".git", "target", "runs", "out", "warehouse", "__pycache__", ".cifuzz-corpus");

    @Test
    void noTrackedTextFileCitesNotesOutsideTheRepository() throws IOException {
        Path root = Path.of(System.getProperty("diffpure.repo.root", "..")).toRealPath();
        List<Path> files = trackedFiles(root);
        assertTrue(
                files.stream().anyMatch(f -> f.endsWith("pom.xml")),
                "no pom.xml among the files listed under " + root);
        List<String> citations = new ArrayList<>();
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            if (isBinary(bytes)) {
                continue;
            }
            String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (cites(lines[i])) {
                    citations.add(root.relativize(f) + ":" + (i + 1) + ": " + lines[i].strip());
                }
            }
        }
        assertTrue(
                citations.isEmpty(),
                () ->
                        "these lines cite notes outside the repository (state the fact, or cite"
                                + " docs/):\n"
                                + String.join("\n", citations));
    }

    @Test
    void thePatternsCatchCitationsAndLetBenchmarkCommandsThrough() {
        String outside = "../" + "shared";
        assertTrue(cites("the convention (" + "DESIGN" + ".md 3)"));
        assertTrue(cites("see " + "TOOLCHAIN" + ".md"));
        assertTrue(cites("(" + outside + "/" + "FIELD" + ".md)"));
        assertTrue(cites("(" + outside + "/reference/README.md)"));
        assertTrue(cites("team notes in " + outside + "/notes.txt"));
        assertTrue(cites("/work/" + "shared/reference/ref_diffpure.py"));
        assertTrue(!cites("python3 " + outside + "/reference/ref_diffpure.py MODELDIR"));
        assertTrue(!cites("PYTHONPATH=" + outside + "/reference/pyshim:/tmp/torchsde"));
        assertTrue(!cites("REF=\"${1:-$ROOT/" + outside + "/reference}\""));
        assertTrue(!cites("the architecture (docs/" + "DESIGN" + ".md)"));
    }

    private static boolean cites(String line) {
        return NOTE.matcher(line).find() || OUTSIDE_FOLDER.matcher(line).find();
    }

    private static boolean isBinary(byte[] bytes) {
        for (int i = 0; i < Math.min(bytes.length, 8192); i++) {
            if (bytes[i] == 0) {
                return true;
            }
        }
        return false;
    }

    /** The files git tracks; without git (a source archive), every file outside build output. */
    private static List<Path> trackedFiles(Path root) throws IOException {
        try {
            Process git =
                    new ProcessBuilder("git", "-C", root.toString(), "ls-files", "-z")
                            .redirectError(ProcessBuilder.Redirect.DISCARD)
                            .start();
            byte[] out = git.getInputStream().readAllBytes();
            if (git.waitFor() == 0 && out.length > 0) {
                List<Path> files = new ArrayList<>();
                for (String name : new String(out, StandardCharsets.UTF_8).split("\0")) {
                    Path f = root.resolve(name);
                    if (!name.isEmpty() && Files.isRegularFile(f)) {
                        files.add(f);
                    }
                }
                return files;
            }
        } catch (IOException e) {
            // no git on this machine: walk the tree instead
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing " + root, e);
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile)
                    .filter(f -> !inUntrackedDir(root.relativize(f).getParent()))
                    .toList();
        }
    }

    private static boolean inUntrackedDir(Path relativeDir) {
        if (relativeDir == null) {
            return false;
        }
        for (Path part : relativeDir) {
            if (UNTRACKED_DIRS.contains(part.toString())) {
                return true;
            }
        }
        return false;
    }
}
