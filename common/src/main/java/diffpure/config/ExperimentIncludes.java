package diffpure.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderClasspath;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigIncluderURL;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseable;
import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * HOCON {@code include}s an experiment may use: files inside the experiment file's directory tree
 * or inside the project's {@code conf/} (the nearest ancestor directory named {@code conf}, so a
 * preset in {@code conf/experiments/nightly/} may include {@code ../paper.conf}). {@code include
 * url(...)} (a network fetch), {@code include classpath(...)}, files elsewhere and missing files
 * are refused with a {@link ConfigError} naming the include and the file it is in; a stored config
 * or a {@code --set} value includes nothing.
 */
final class ExperimentIncludes
        implements ConfigIncluder, ConfigIncluderFile, ConfigIncluderURL, ConfigIncluderClasspath {
    /** Deepest chain of includes; deeper is refused (HOCON itself would overflow the stack). */
    static final int MAX_DEPTH = 16;

    private final List<Path> roots;

    /** The files being parsed, the experiment file first: an include of one of them is a cycle. */
    private final Deque<Path> including = new ArrayDeque<>();

    private ExperimentIncludes(List<Path> roots) {
        this.roots = List.copyOf(roots);
    }

    /** Includes for an experiment file: its directory tree and the project's conf/ above it. */
    static ExperimentIncludes forFile(File experimentFile) {
        Path dir = canonical(experimentFile).getParent();
        List<Path> roots = new ArrayList<>(List.of(dir));
        for (Path p = dir; p != null; p = p.getParent()) {
            if (p.getFileName() != null && p.getFileName().toString().equals("conf")) {
                roots.add(p);
                break;
            }
        }
        ExperimentIncludes includes = new ExperimentIncludes(roots);
        includes.including.push(canonical(experimentFile));
        return includes;
    }

    /** No includes at all (stored configs, command-line values). */
    static ExperimentIncludes none() {
        return new ExperimentIncludes(List.of());
    }

    @Override
    public ConfigIncluder withFallback(ConfigIncluder fallback) {
        return this; // never fall back to the default includer, which fetches URLs
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
        if (roots.isEmpty()) {
            throw refused(
                    "include \"" + what + "\"",
                    "a stored config or a --set value includes nothing");
        }
        ConfigParseable p = context.relativeTo(what);
        String file = p == null || p.origin() == null ? null : p.origin().filename();
        if (file == null) {
            throw refused("include \"" + what + "\"", "no such file");
        }
        return parse(context, new File(file), "include \"" + what + "\"");
    }

    @Override
    public ConfigObject includeFile(ConfigIncludeContext context, File what) {
        return parse(context, what, "include file(\"" + what + "\")");
    }

    @Override
    public ConfigObject includeURL(ConfigIncludeContext context, URL what) {
        throw refused(
                "include url(\"" + ConfigLoader.withoutCredentials(what.toString()) + "\")",
                "an experiment may include files only, never fetch a URL");
    }

    @Override
    public ConfigObject includeResources(ConfigIncludeContext context, String what) {
        throw refused(
                "include classpath(\"" + what + "\")", "an experiment may include files only");
    }

    private ConfigObject parse(ConfigIncludeContext context, File what, String statement) {
        if (roots.isEmpty()) {
            throw refused(statement, "a stored config or a --set value includes nothing");
        }
        Path f = canonical(what);
        if (roots.stream().noneMatch(f::startsWith)) {
            throw refused(
                    statement,
                    "an experiment includes files inside its own directory tree or the"
                            + " project's conf/ only ("
                            + roots
                            + "), found "
                            + f);
        }
        if (!f.toFile().isFile()) {
            throw refused(statement, "no such file " + f);
        }
        if (including.contains(f)) {
            throw refused(statement, "it includes itself (through " + including + ")");
        }
        if (including.size() > MAX_DEPTH) {
            throw refused(statement, "more than " + MAX_DEPTH + " nested includes");
        }
        ConfigText.read(f);
        including.push(f);
        try {
            return ConfigFactory.parseFile(
                            f.toFile(), context.parseOptions().setAllowMissing(false))
                    .root();
        } finally {
            including.pop();
        }
    }

    private static ConfigError refused(String statement, String why) {
        return new ConfigError(statement + " is refused: " + why);
    }

    private static Path canonical(File f) {
        try {
            return f.getCanonicalFile().toPath();
        } catch (IOException e) {
            throw new ConfigError("cannot resolve the path " + f + ": " + e.getMessage(), e);
        }
    }
}
