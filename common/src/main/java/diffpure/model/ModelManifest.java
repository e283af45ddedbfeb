package diffpure.model;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import diffpure.config.ConfigText;
import diffpure.config.ManifestLimits;
import diffpure.sde.VpSchedule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What a model file claims to be: read from the JSON (or HOCON) file beside the .pt, same base
 * name.
 *
 * @param file the manifest's own path, for error messages
 * @param kind score model or classifier
 * @param name short model name
 * @param imageShape per-image input shape [C, H, W]
 * @param classes number of classes (classifiers; 0 for score models)
 * @param schedule the VP schedule (score models; the default for classifiers)
 * @param minTime smallest trained diffusion time (score models)
 * @param maxTime largest trained diffusion time (score models)
 * @param sha256 hex digest of the .pt
 * @param source where the weights came from
 * @param probe the golden probe
 * @param macsPerImage analytic multiply-adds of one forward pass per image (0 when the manifest
 *     omits it)
 * @param parameters number of parameter values (0 when the manifest omits it)
 * @param graphBytesPerImage bytes one forward with a graph keeps for backward, per image, measured
 *     on the CPU ({@code graph-bytes-per-image}, written by {@code diffpure model graph-bytes}; 0
 *     when the manifest omits it). The memory model of runtime.memory-budget needs it.
 */
public record ModelManifest(
        Path file,
        ModelKind kind,
        String name,
        long[] imageShape,
        int classes,
        VpSchedule schedule,
        double minTime,
        double maxTime,
        String sha256,
        String source,
        GoldenProbe probe,
        long macsPerImage,
        long parameters,
        long graphBytesPerImage) {
    public ModelManifest {
        imageShape = imageShape.clone();
    }

    @Override
    public long[] imageShape() {
        return imageShape.clone();
    }

    /**
     * The devices an export can only run on ({@code export.runs-on-only}: libtorch device names
     * such as "cpu" or "cuda:0", written by tools/export when a trace baked a device into the
     * graph), empty when the manifest names none.
     *
     * @throws ModelException naming the file when the key is malformed
     */
    public static List<String> runsOnOnly(Path manifestFile, ManifestLimits limits) {
        try {
            Config c = parse(sizeChecked(manifestFile, limits));
            return c.hasPath("export.runs-on-only")
                    ? List.copyOf(c.getStringList("export.runs-on-only"))
                    : List.of();
        } catch (ConfigException e) {
            throw new ModelException(
                    manifestFile, "bad manifest: export.runs-on-only: " + e.getMessage(), e);
        }
    }

    /** The same manifest with {@code graph-bytes-per-image} set. */
    public ModelManifest withGraphBytesPerImage(long bytes) {
        return new ModelManifest(
                file,
                kind,
                name,
                imageShape,
                classes,
                schedule,
                minTime,
                maxTime,
                sha256,
                source,
                probe,
                macsPerImage,
                parameters,
                bytes);
    }

    /**
     * Parses a manifest file as JSON (".json") or HOCON, with every kind of include refused: a
     * manifest is read before its model is verified, and an include could read local files or fetch
     * a URL.
     */
    static Config parse(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelException(file, "cannot read the manifest: " + e.getMessage(), e);
        }
        return parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8), file);
    }

    /** Parses manifest text (see {@link #parse(Path)}); file names it in errors. */
    static Config parse(String text, Path file) {
        checkNesting(text, file);
        ConfigSyntax syntax =
                file.toString().endsWith(".json") ? ConfigSyntax.JSON : ConfigSyntax.CONF;
        return ConfigFactory.parseString(
                text,
                ConfigParseOptions.defaults()
                        .setSyntax(syntax)
                        .setOriginDescription(file.toString())
                        .setIncluder(new NoIncludes(file)));
    }

    /**
     * The name and sha256 a manifest's text declares, for recording a run before the model is
     * loaded.
     *
     * @throws ModelException naming the file when the text is longer than limits.manifest-bytes,
     *     does not parse, or lacks either key
     */
    public static String[] nameAndSha256(String text, Path file, ManifestLimits limits) {
        long size = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (size > limits.bytes()) {
            throw exceeded(file, "file size", size, "limits.manifest-bytes", limits.bytes());
        }
        try {
            Config c = parse(text, file);
            return new String[] {c.getString("name"), c.getString("sha256")};
        } catch (ConfigException e) {
            throw new ModelException(file, "bad manifest: " + e.getMessage(), e);
        }
    }

    /** Deepest nesting of objects and arrays a manifest may have (they use 2). */
    static final int MAX_NESTING = 32;

    /**
     * Refuses text nested deeper than {@link #MAX_NESTING}: the config parser recurses per level
     * and a 20 kB manifest of brackets overflowed its stack. Brackets inside quoted strings do not
     * count; inside comments they do, which can only refuse a manifest no tool writes.
     */
    private static void checkNesting(String text, Path file) {
        int at = ConfigText.nestingBreach(text, MAX_NESTING);
        if (at >= 0) {
            throw new ModelException(
                    file,
                    "objects and arrays nested more than "
                            + MAX_NESTING
                            + " deep (at character "
                            + at
                            + "); not a manifest");
        }
    }

    /** Refuses include, include file(), url() and classpath() alike. */
    private record NoIncludes(Path file)
            implements com.typesafe.config.ConfigIncluder,
                    com.typesafe.config.ConfigIncluderFile,
                    com.typesafe.config.ConfigIncluderURL,
                    com.typesafe.config.ConfigIncluderClasspath {
        @Override
        public com.typesafe.config.ConfigIncluder withFallback(
                com.typesafe.config.ConfigIncluder fallback) {
            return this;
        }

        @Override
        public com.typesafe.config.ConfigObject include(
                com.typesafe.config.ConfigIncludeContext context, String what) {
            throw refused(what);
        }

        @Override
        public com.typesafe.config.ConfigObject includeFile(
                com.typesafe.config.ConfigIncludeContext context, java.io.File what) {
            throw refused(what.toString());
        }

        @Override
        public com.typesafe.config.ConfigObject includeURL(
                com.typesafe.config.ConfigIncludeContext context, java.net.URL what) {
            throw refused(what.toString());
        }

        @Override
        public com.typesafe.config.ConfigObject includeResources(
                com.typesafe.config.ConfigIncludeContext context, String what) {
            throw refused(what);
        }

        private ModelException refused(String what) {
            return new ModelException(
                    file,
                    "manifests may not include other files or URLs (include of '"
                            + what
                            + "'); inline the keys");
        }
    }

    /** The file, once its size is within limits.manifest-bytes. */
    private static Path sizeChecked(Path file, ManifestLimits limits) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new ModelException(file, "cannot read the manifest: " + e.getMessage(), e);
        }
        if (size > limits.bytes()) {
            throw exceeded(file, "file size", size, "limits.manifest-bytes", limits.bytes());
        }
        return file;
    }

    private static ModelException exceeded(
            Path file, String what, long value, String key, long limit) {
        return new ModelException(
                file,
                what
                        + " "
                        + value
                        + " exceeds "
                        + key
                        + " = "
                        + limit
                        + "; raise the limit if the manifest is genuine");
    }

    /**
     * The manifest path for a model file: same directory and base name, extension .json (else
     * .conf).
     */
    public static Path pathFor(Path modelFile) {
        String base = modelFile.getFileName().toString().replaceFirst("\\.pt$", "");
        Path json = modelFile.resolveSibling(base + ".json");
        Path conf = modelFile.resolveSibling(base + ".conf");
        return Files.exists(json) || !Files.exists(conf) ? json : conf;
    }

    /**
     * Reads and validates a manifest.
     *
     * @throws ModelException naming the file and the key when it is missing or malformed
     */
    public static ModelManifest read(Path file) {
        return read(file, ManifestLimits.DEFAULTS);
    }

    /**
     * Reads and validates a manifest within limits; see {@link #read(Path)}.
     *
     * @throws ModelException naming the file, the value and the limit when the file, its input
     *     shape or its classes exceed limits (the size before parsing)
     */
    public static ModelManifest read(Path file, ManifestLimits limits) {
        if (!Files.isRegularFile(file)) {
            throw new ModelException(
                    file,
                    "model manifest not found (every .pt needs one beside it: write it with"
                            + " 'diffpure model manifest')");
        }
        sizeChecked(file, limits);
        Config c;
        try {
            c = parse(file);
        } catch (ConfigException e) {
            throw new ModelException(file, "cannot parse manifest: " + e.getMessage(), e);
        }
        try {
            ModelKind kind;
            String kindName = c.getString("kind");
            try {
                kind = ModelKind.ofManifest(kindName);
            } catch (IllegalArgumentException e) {
                throw new ModelException(file, e.getMessage());
            }
            List<Integer> shapeList = c.getIntList("input-shape");
            if (shapeList.size() != 3 || shapeList.stream().anyMatch(s -> s < 1)) {
                throw new ModelException(
                        file,
                        "input-shape must be [C, H, W] with positive sizes, found " + shapeList);
            }
            long[] shape = shapeList.stream().mapToLong(Integer::longValue).toArray();
            // Exact, so a product past Long.MAX_VALUE cannot wrap under the limit.
            java.math.BigInteger elements = java.math.BigInteger.ONE;
            for (long s : shape) {
                elements = elements.multiply(java.math.BigInteger.valueOf(s));
            }
            if (elements.compareTo(java.math.BigInteger.valueOf(limits.inputElements())) > 0) {
                throw new ModelException(
                        file,
                        "input-shape "
                                + shapeList
                                + " has "
                                + elements
                                + " elements, which exceeds limits.manifest-input-elements = "
                                + limits.inputElements()
                                + "; raise the limit if the manifest is genuine");
            }
            int classes = kind == ModelKind.CLASSIFIER ? c.getInt("classes") : 0;
            if (kind == ModelKind.CLASSIFIER && classes < 2) {
                throw new ModelException(file, "classes must be >= 2, found " + classes);
            }
            if (classes > limits.classes()) {
                throw exceeded(
                        file, "classes", classes, "limits.manifest-classes", limits.classes());
            }
            VpSchedule schedule = VpSchedule.DEFAULT;
            double tMin = 0;
            double tMax = 1;
            if (kind == ModelKind.SCORE_MODEL) {
                schedule =
                        new VpSchedule(
                                c.hasPath("beta-min") ? c.getDouble("beta-min") : 0.1,
                                c.hasPath("beta-max") ? c.getDouble("beta-max") : 20.0);
                tMin = c.getDouble("t-min");
                tMax = c.getDouble("t-max");
                if (!(tMin >= 0 && tMax > tMin && tMax <= 1)) {
                    throw new ModelException(
                            file,
                            "need 0 <= t-min < t-max <= 1, found t-min="
                                    + tMin
                                    + ", t-max="
                                    + tMax);
                }
            }
            String sha = c.getString("sha256").toLowerCase(Locale.ROOT);
            if (!sha.matches("[0-9a-f]{64}")) {
                throw new ModelException(file, "sha256 must be 64 hex digits, found '" + sha + "'");
            }
            Config p = c.getConfig("probe");
            GoldenProbe probe =
                    new GoldenProbe(
                            p.getLong("seed"),
                            kind == ModelKind.SCORE_MODEL ? p.getDoubleList("t") : List.of(),
                            p.getIntList("indices"),
                            p.getDoubleList("values"),
                            p.getDouble("sum"),
                            p.getDouble("l2"),
                            p.hasPath("tolerance") ? p.getDouble("tolerance") : 1e-3);
            if (kind == ModelKind.SCORE_MODEL && probe.times().size() != GoldenProbe.ROWS) {
                throw new ModelException(file, "probe.t must list " + GoldenProbe.ROWS + " times");
            }
            return new ModelManifest(
                    file,
                    kind,
                    c.getString("name"),
                    shape,
                    classes,
                    schedule,
                    tMin,
                    tMax,
                    sha,
                    c.hasPath("source") ? c.getString("source") : "unknown",
                    probe,
                    c.hasPath("macs-per-image") ? c.getLong("macs-per-image") : 0,
                    c.hasPath("parameters") ? c.getLong("parameters") : 0,
                    c.hasPath("graph-bytes-per-image") ? c.getLong("graph-bytes-per-image") : 0);
        } catch (ConfigException e) {
            throw new ModelException(file, "bad manifest: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelException(file, "bad manifest: " + e.getMessage(), e);
        }
    }
}
