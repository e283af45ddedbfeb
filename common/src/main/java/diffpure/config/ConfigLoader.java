package diffpure.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads an experiment: {@code reference.conf} (the defaults, in common's resources), then the
 * experiment file, then environment variables, then the command line ({@code -Dkey=value} system
 * properties, then {@code --set key=value}); each level overrides the ones before it. Only the
 * sections in {@link #SECTIONS} are read. A key that reference.conf does not have, or a value of
 * the wrong type or range, is a {@link ConfigError} naming the key, the value and where it was set.
 *
 * <p>Environment variables: {@code DIFFPURE_CONF_} + the key in upper case with {@code .} written
 * as {@code _} and {@code -} as {@code __}, e.g. {@code DIFFPURE_CONF_ATTACK_EPS=0.03}, {@code
 * DIFFPURE_CONF_RUNTIME_TORCH__THREADS=1}.
 *
 * <p>An experiment file is untrusted input: {@code ${...}} substitutions may name keys of the
 * experiment only, never an environment variable or system property; it includes files only from
 * its own directory tree or the project's {@code conf/} ({@link ExperimentIncludes}), never a URL;
 * a URI with credentials ({@code s3a://key:secret@bucket}) is refused, and no error message shows a
 * credential or the value of a secret-looking key. Each is a {@link ConfigError} naming the key or
 * the include. The records hold plain values: the strategy packages build attacks, gradient modes,
 * purifiers and data sets from them, and say through {@link Strategies} which names they accept.
 */
public final class ConfigLoader {
    /** The top-level sections of an experiment. */
    public static final List<String> SECTIONS =
            List.of(
                    "experiment",
                    "run",
                    "data",
                    "model",
                    "purify",
                    "attack",
                    "eval",
                    "sanity",
                    "runtime",
                    "sweep",
                    "report",
                    "limits");

    /**
     * Keys that were renamed, old to new: an old key in any layer is an error naming the new one;
     * the config hash is computed under the old name, so a run keeps its hash and id.
     */
    static final Map<String, String> RENAMED =
            Map.of(
                    "model.eps", "model.score-model",
                    "eval.chunk", "eval.clean-during-copies-per-call");

    /** Prefix of environment overrides. */
    public static final String ENV_PREFIX = "DIFFPURE_CONF_";

    private ConfigLoader() {}

    /**
     * A parsed experiment with the merged tree rendered for the {@code runs} table.
     *
     * @param config the typed config
     * @param rendered the merged config as HOCON, secrets redacted
     * @param report settings of the report job (not part of the config hash: they decide no row)
     */
    public record Loaded(ExperimentConfig config, String rendered, ReportSettings report) {}

    /**
     * Loads an experiment.
     *
     * @param experimentFile HOCON file, or null for the defaults alone
     * @param overrides {@code key=value} pairs from the command line (highest precedence)
     * @param env environment variables (only {@code DIFFPURE_CONF_*} are read)
     * @param props system properties (only keys under {@link #SECTIONS} are read)
     * @param strategies what the strategy keys accept and the check that builds them
     * @throws ConfigError naming key, value and origin
     */
    public static Loaded load(
            String experimentFile,
            List<String> overrides,
            Map<String, String> env,
            Properties props,
            Strategies strategies) {
        Config file = ConfigFactory.empty();
        if (experimentFile != null) {
            File f = new File(experimentFile);
            if (!f.isFile()) {
                throw new ConfigError("experiment file not found: " + f.getAbsolutePath());
            }
            ConfigText.read(f.toPath());
            try {
                file =
                        ConfigFactory.parseFile(
                                f,
                                ConfigParseOptions.defaults()
                                        .setAllowMissing(false)
                                        .setIncluder(ExperimentIncludes.forFile(f)));
            } catch (ConfigException | ConfigError e) {
                throw new ConfigError(
                        "cannot parse "
                                + experimentFile
                                + ": "
                                + withoutCredentials(e.getMessage()),
                        e);
            }
        }
        return load(file, overrides, env, props, strategies);
    }

    /**
     * Loads a config stored by an earlier run (a {@code runs} row's {@code config}) from its text,
     * in place of the experiment file; keys renamed since are read under their new names ({@link
     * #withRenamedKeys}).
     *
     * @param rendered the stored HOCON
     * @param description where it was stored, for error messages (e.g. "config of run x")
     * @throws ConfigError naming key, value and origin
     */
    public static Loaded loadStored(
            String rendered,
            String description,
            List<String> overrides,
            Map<String, String> env,
            Properties props,
            Strategies strategies) {
        Config stored;
        ConfigText.checked(rendered, "the " + description);
        try {
            stored =
                    ConfigFactory.parseString(
                            withRenamedKeys(rendered),
                            ConfigParseOptions.defaults()
                                    .setOriginDescription(description)
                                    .setIncluder(ExperimentIncludes.none()));
        } catch (ConfigException e) {
            throw new ConfigError(
                    "cannot parse the " + description + ": " + withoutCredentials(e.getMessage()),
                    e);
        }
        try {
            return load(stored, overrides, env, props, strategies);
        } catch (ConfigError e) {
            throw new ConfigError(description + ": " + e.getMessage(), e);
        }
    }

    private static Loaded load(
            Config file,
            List<String> overrides,
            Map<String, String> env,
            Properties props,
            Strategies strategies) {
        Config reference =
                ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf");
        if (!reference.hasPath("attack.name")) {
            throw new IllegalStateException("common's reference.conf is not on the classpath");
        }
        Config environment = fromEnvironment(env);
        Config commandLine = fromCommandLine(overrides).withFallback(fromProperties(props));
        for (Config layer : List.of(file, environment, commandLine)) {
            checkKnown(layer, reference);
        }
        Config unresolved =
                commandLine.withFallback(environment).withFallback(file).withFallback(reference);
        Config merged;
        try {
            // ${...} may name keys of the experiment only: an environment variable (a secret, say)
            // would land in the stored config, tables and reports
            merged = unresolved.resolve(ConfigResolveOptions.noSystem());
            refuseEnvironment(merged, unresolved.resolve(ConfigResolveOptions.defaults()));
        } catch (ConfigException.UnresolvedSubstitution e) {
            throw new ConfigError(
                    "a substitution names no key of the experiment (environment variables and"
                            + " system properties are refused; set DIFFPURE_CONF_* or --set"
                            + " instead): "
                            + withoutCredentials(e.getMessage()),
                    e);
        } catch (ConfigException e) {
            throw new ConfigError(
                    "cannot resolve the experiment config: " + withoutCredentials(e.getMessage()),
                    e);
        }
        Config ours = ConfigFactory.empty();
        for (String s : SECTIONS) {
            ours = ours.withValue(s, merged.getValue(s));
        }
        refuseCredentials(ours);
        // What decides the rows: not where they go, not the run's name, not how a report reads
        // them.
        // Limits refuse bad inputs; they decide no row of a run that reads its inputs.
        // The stopping rule decides how many rows exist, never what a row holds: raising the target
        // or the budget extends the same run.
        Config hashed =
                ours.withoutPath("report")
                        .withoutPath("limits")
                        .withoutPath("eval.stop-metric")
                        .withoutPath("eval.target-half-width")
                        .withoutPath("run.budget");
        // A run keeps the hash (and run id) it had before model.eps was renamed model.score-model.
        hashed =
                hashed.withoutPath("model.score-model")
                        .withValue("model.eps", hashed.getValue("model.score-model"));
        // ... and the one it had before eval.chunk was renamed (the word names the commit unit).
        hashed =
                hashed.withoutPath("eval.clean-during-copies-per-call")
                        .withValue(
                                "eval.chunk", hashed.getValue("eval.clean-during-copies-per-call"));
        if (String.valueOf(hashed.getValue("data.order").unwrapped()).equals("sorted")) {
            // A run in ascending order keeps the hash (and run id) it had before data.order.
            hashed = hashed.withoutPath("data.order");
        }
        if (isEmptyList(hashed, "attack.budget-checkpoints")) {
            // A run without checkpoints keeps the hash (and run id) it had before they existed.
            hashed = hashed.withoutPath("attack.budget-checkpoints");
        }
        if (String.valueOf(hashed.getValue("attack.surrogate-steps").unwrapped()).equals("0")
                && String.valueOf(hashed.getValue("attack.surrogate-noise").unwrapped())
                        .equals("summed")) {
            // A run without a surrogate keeps the hash (and run id) it had before surrogates.
            hashed =
                    hashed.withoutPath("attack.surrogate-steps")
                            .withoutPath("attack.surrogate-noise");
        }
        if (String.valueOf(hashed.getValue("attack.surrogate-evaluation").unwrapped())
                .equals("defence")) {
            // Iterates judged on the defence chain, as before the key existed: same hash and id.
            hashed = hashed.withoutPath("attack.surrogate-evaluation");
        }
        if (!String.valueOf(hashed.getValue("attack.name").unwrapped())
                .equalsIgnoreCase("diffattack")) {
            // Only diffattack reads the deviation keys (every other attack refuses a value but the
            // default): a run of another attack keeps the hash it had before they existed.
            hashed =
                    hashed.withoutPath("attack.deviation-weight")
                            .withoutPath("attack.deviation-steps");
        }
        if (String.valueOf(hashed.getValue("attack.re-evaluations").unwrapped()).equals("0")) {
            // A run without re-evaluations keeps the hash (and run id) it had before they existed.
            hashed = hashed.withoutPath("attack.re-evaluations");
        }
        if (String.valueOf(hashed.getValue("attack.early-stop").unwrapped())
                .equals(AttackSettings.DEFAULT_EARLY_STOP)) {
            // Only lf reads it; at its default a run keeps the hash it had before it existed.
            hashed = hashed.withoutPath("attack.early-stop");
        }
        if (String.valueOf(hashed.getValue("model.perceptual").unwrapped()).isBlank()) {
            // Empty for every threat model but lpips: such a run keeps the hash it had before.
            hashed = hashed.withoutPath("model.perceptual");
        }
        if (String.valueOf(hashed.getValue("purify.ddpm-respaced-steps").unwrapped()).equals("0")) {
            // A run without respacing keeps the hash (and run id) it had before the key existed.
            hashed = hashed.withoutPath("purify.ddpm-respaced-steps");
        }
        if (String.valueOf(hashed.getValue("attack.evaluations").unwrapped()).equals("0")
                && String.valueOf(hashed.getValue("attack.grafting").unwrapped())
                        .equals(AttackSettings.DEFAULT_GRAFTING)) {
            // A run without diffhammer's keys keeps the hash (and run id) it had before them.
            hashed = hashed.withoutPath("attack.evaluations").withoutPath("attack.grafting");
        }
        if (isEmptyList(hashed, "sweep.eps") && isEmptyList(hashed, "sweep.t-star")) {
            // A run without a sweep keeps the hash (and run id) it had before sweeps existed.
            hashed = hashed.withoutPath("sweep");
        }
        String hash =
                sha256(
                        hashed.withoutPath("run.id")
                                .withoutPath("run.output")
                                .root()
                                .render(ConfigRenderOptions.concise()));
        Reader reader = new Reader(ours, strategies);
        ExperimentConfig config = reader.read(hash);
        return new Loaded(
                config,
                redacted(ours)
                        .root()
                        .render(
                                ConfigRenderOptions.defaults()
                                        .setOriginComments(false)
                                        .setJson(false)),
                reader.report());
    }

    /**
     * A config rendered by an earlier version (a {@code runs} row's {@code config}) with every
     * renamed key under its new name, so that runs made before a rename can still be rescored and
     * replayed; their config hash is unchanged (see {@link #RENAMED}). Text that does not parse is
     * returned as it is, for {@link #load} to report.
     */
    public static String withRenamedKeys(String rendered) {
        Config c;
        try {
            ConfigText.checked(rendered, "stored config");
            c =
                    ConfigFactory.parseString(
                            rendered,
                            ConfigParseOptions.defaults().setIncluder(ExperimentIncludes.none()));
        } catch (ConfigException | ConfigError e) {
            return rendered;
        }
        boolean renamed = false;
        for (Map.Entry<String, String> r : RENAMED.entrySet()) {
            if (c.hasPath(r.getKey())) {
                c = c.withValue(r.getValue(), c.getValue(r.getKey())).withoutPath(r.getKey());
                renamed = true;
            }
        }
        return renamed
                ? c.root()
                        .render(
                                ConfigRenderOptions.defaults()
                                        .setOriginComments(false)
                                        .setJson(false))
                : rendered;
    }

    private static boolean isEmptyList(Config c, String key) {
        ConfigValue v = c.getValue(key);
        return v.valueType() == com.typesafe.config.ConfigValueType.LIST
                && ((com.typesafe.config.ConfigList) v).isEmpty();
    }

    private static Config fromEnvironment(Map<String, String> env) {
        Map<String, Object> m = new TreeMap<>();
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().startsWith(ENV_PREFIX)) {
                String key =
                        e.getKey()
                                .substring(ENV_PREFIX.length())
                                .toLowerCase(Locale.ROOT)
                                .replace("__", "\u0000")
                                .replace('_', '.')
                                .replace('\u0000', '-');
                m.put(key, e.getValue());
            }
        }
        try {
            return ConfigFactory.parseMap(m, "environment variable " + ENV_PREFIX + "*");
        } catch (ConfigException.BadPath e) {
            throw new ConfigError(
                    "an environment variable "
                            + ENV_PREFIX
                            + "* names no config key: "
                            + withoutCredentials(e.getMessage()),
                    e);
        }
    }

    private static Config fromProperties(Properties props) {
        Properties p = new Properties();
        for (String name : props.stringPropertyNames()) {
            int dot = name.indexOf('.');
            if (dot > 0 && SECTIONS.contains(name.substring(0, dot))) {
                p.setProperty(name, props.getProperty(name));
            }
        }
        try {
            return ConfigFactory.parseProperties(
                    p, ConfigParseOptions.defaults().setOriginDescription("command line -D"));
        } catch (ConfigException.BadPath e) {
            throw new ConfigError(
                    "a -D property names no config key: " + withoutCredentials(e.getMessage()), e);
        }
    }

    private static Config fromCommandLine(List<String> overrides) {
        Config c = ConfigFactory.empty();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq < 1) {
                throw new ConfigError("--set expects key=value, found '" + shown(o, o) + "'");
            }
            String key = o.substring(0, eq).trim();
            String value = o.substring(eq + 1).trim();
            ConfigValue v;
            if (value.startsWith("[")) {
                // A list (data.paths=["a", "b"]), in HOCON syntax.
                ConfigText.checked(value, "--set " + withoutCredentials(key));
                try {
                    v =
                            ConfigFactory.parseString(
                                            "v = " + value,
                                            ConfigParseOptions.defaults()
                                                    .setOriginDescription(
                                                            "command line --set " + key)
                                                    .setIncluder(ExperimentIncludes.none()))
                                    .getValue("v");
                } catch (ConfigException e) {
                    throw new ConfigError(
                            "--set "
                                    + key
                                    + ": not a list: "
                                    + shown(key, value)
                                    + " ("
                                    + withoutCredentials(e.getMessage())
                                    + ")");
                }
            } else {
                // Other values stay strings; the typed getters convert them and name the key when
                // they cannot.
                v = ConfigValueFactory.fromAnyRef(value, "command line --set " + key);
            }
            try {
                c = v.atPath(key).withFallback(c);
            } catch (ConfigException.BadPath e) {
                // found by ConfigFuzzTest: "--set sweep.t-star,0[ =..." reached HOCON's path parser
                throw new ConfigError(
                        "--set "
                                + withoutCredentials(key)
                                + ": not a config key (keys are words joined by '.', e.g."
                                + " attack.eps)",
                        e);
            }
        }
        return c;
    }

    private static void checkKnown(Config layer, Config reference) {
        for (Map.Entry<String, ConfigValue> e : layer.entrySet()) {
            String key = e.getKey();
            String top = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            if (RENAMED.containsKey(key)) {
                throw new ConfigError(
                        key
                                + " was renamed "
                                + RENAMED.get(key)
                                + " (set in "
                                + where(e.getValue().origin())
                                + ")");
            }
            if (!SECTIONS.contains(top) || !reference.hasPathOrNull(key)) {
                String known =
                        SECTIONS.contains(top) && reference.hasPath(top)
                                ? "; keys of "
                                        + top
                                        + ": "
                                        + reference.getConfig(top).root().keySet()
                                : "; sections: " + SECTIONS;
                throw new ConfigError(
                        "unknown config key '"
                                + key
                                + "' (value "
                                + shown(key, e.getValue().render())
                                + ") set in "
                                + where(e.getValue().origin())
                                + known);
            }
        }
    }

    static String where(ConfigOrigin origin) {
        return origin == null ? "?" : origin.description();
    }

    private static Config redacted(Config c) {
        Config out = c;
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            if (isSecretKey(e.getKey())) {
                out = out.withValue(e.getKey(), ConfigValueFactory.fromAnyRef("***"));
            }
        }
        return out;
    }

    /** Whether a key's name says it holds a secret (its value is never shown). */
    static boolean isSecretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("secret")
                || k.contains("password")
                || k.contains("token")
                || k.contains("access-key")
                || k.contains("access.key")
                || k.contains("credential");
    }

    /**
     * Refuses a value an optional substitution ({@code ${?NAME}}) would take from an environment
     * variable: resolved with and without the environment, the config must be the same. The
     * environment's value is read here only to compare; it is never shown.
     */
    private static void refuseEnvironment(Config ours, Config withEnvironment) {
        for (String section : SECTIONS) {
            for (Map.Entry<String, ConfigValue> e : withEnvironment.getConfig(section).entrySet()) {
                String key = section + "." + e.getKey();
                if (!ours.hasPathOrNull(key) || !ours.getValue(key).equals(e.getValue())) {
                    throw new ConfigError(
                            key
                                    + " would be read from an environment variable (a ${?...}"
                                    + " substitution): refused; set DIFFPURE_CONF_* or --set"
                                    + " instead");
                }
            }
        }
    }

    /**
     * {@code scheme://user:password@host} in text: credentials inside a URI. A secret may hold
     * {@code /} (AWS secret keys do), so after a {@code :} the user information runs to the next
     * {@code @}; without one it stops at the first {@code /} ({@code s3a://bucket/a@2x.png} is a
     * path).
     */
    private static final Pattern URI_CREDENTIALS =
            Pattern.compile(
                    "([A-Za-z][A-Za-z0-9+.-]*://)(?:[^/@\\s\"':]*:[^@\\s\"']*|[^/@\\s\"']*)@");

    /**
     * Text with the user information of every URI in it replaced by {@code ***}, e.g. {@code
     * s3a://AKIA:secret@bucket/x} as {@code s3a://***@bucket/x}: for error messages and logs.
     */
    public static String withoutCredentials(String text) {
        return text == null ? null : URI_CREDENTIALS.matcher(text).replaceAll("$1***@");
    }

    /**
     * A value as error messages show it: hidden under a secret-looking key, else without URI
     * credentials.
     */
    private static String shown(String key, String rendered) {
        return isSecretKey(key) ? "***" : withoutCredentials(rendered);
    }

    /**
     * Refuses credentials inside URIs (s3a://key:secret@bucket/...): they would be stored with the
     * run, printed and reported. Credentials belong in the Hadoop configuration
     * (spark.hadoop.fs.s3a.*), which never enters the experiment config.
     */
    private static void refuseCredentials(Config c) {
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            String rendered = e.getValue().render(ConfigRenderOptions.concise());
            if (!withoutCredentials(rendered).equals(rendered)) {
                throw new ConfigError(
                        e.getKey()
                                + " holds a URI with credentials ("
                                + shown(e.getKey(), rendered)
                                + ", set in "
                                + where(e.getValue().origin())
                                + "): give them through the Hadoop configuration"
                                + " (spark.hadoop.fs.s3a.access.key and .secret.key, or a"
                                + " credentials provider), never in a path");
            }
        }
    }

    /** Hex sha256 of a string (UTF-8). */
    public static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Typed, range-checked getters whose errors name key, value and origin. */
    private static final class Reader {
        private final Config c;
        private final Strategies strategies;

        Reader(Config c, Strategies strategies) {
            this.c = c;
            this.strategies = strategies;
        }

        ExperimentConfig read(String hash) {
            // Ids become partition directory names (run_id=...): keep them plain.
            for (String key : List.of("run.id", "experiment.name")) {
                if (!string(key).matches("[A-Za-z0-9._-]*")) {
                    throw bad(key, "may contain only letters, digits, '.', '_' and '-'");
                }
                // "." and ".." would name the output directory itself or its parent.
                if (string(key).startsWith(".")) {
                    throw bad(key, "may not start with '.'");
                }
            }
            RunSettings run =
                    new RunSettings(
                            string("run.id"),
                            longValue("run.seed"),
                            nonEmpty("run.output"),
                            atLeast("run.chunk-samples", 1),
                            atLeast("run.partition-samples", 1),
                            atLeast("run.batch-samples", 1),
                            oneOf("run.on-error", "fail-fast", "continue").equals("continue"),
                            atLeastLong("run.budget", 0));
            LimitsSettings limits = limits();
            DataSettings data =
                    new DataSettings(
                            choice("data.format"),
                            string("data.images"),
                            string("data.labels"),
                            strings("data.paths"),
                            string("data.attribute"),
                            atLeast("data.classes", 1),
                            atMostLimit("data.count", 0, "limits.samples"),
                            longValue("data.subset-seed"),
                            oneOf("data.order", "sorted", "seeded").equals("seeded"),
                            limits.data());
            ModelSettings models =
                    new ModelSettings(
                            nonEmpty("model.score-model"),
                            nonEmpty("model.classifier"),
                            string("model.perceptual").trim(),
                            limits.manifests());
            double tStar = number("purify.t-star");
            if (!(tStar > 0 && tStar <= 1)) {
                throw bad("purify.t-star", "must be in (0, 1]");
            }
            if (!(number("purify.dt") > 0)) {
                throw bad("purify.dt", "must be > 0");
            }
            PurifySettings purify =
                    new PurifySettings(
                            choice("purify.kind"),
                            tStar,
                            number("purify.t-end"),
                            number("purify.dt"),
                            atLeast("purify.ddpm-steps", 0),
                            choice("purify.forward-alpha-bar"),
                            choice("purify.resize"),
                            atLeast("purify.ddpm-respaced-steps", 0));
            if (purify.ddpmRespacedSteps() > 0
                    && !(purify.kind().equals("ddpm")
                            && purify.ddpmRespacedSteps() <= purify.ddpmSteps())) {
                throw bad(
                        "purify.ddpm-respaced-steps",
                        "is for purify.kind = ddpm and at most purify.ddpm-steps ("
                                + purify.ddpmSteps()
                                + "), found "
                                + purify.ddpmRespacedSteps()
                                + " with purify.kind = "
                                + purify.kind());
            }
            double eps = fraction("attack.eps");
            if (!(eps >= 0) || !Double.isFinite(eps)) {
                throw bad("attack.eps", "must be a finite number >= 0");
            }
            double successFraction = number("attack.success-fraction");
            if (!(successFraction > 0 && successFraction <= 1)) {
                throw bad("attack.success-fraction", "must be in (0, 1]");
            }
            double deviationWeight = number("attack.deviation-weight");
            if (!(deviationWeight >= 0) || !Double.isFinite(deviationWeight)) {
                throw bad("attack.deviation-weight", "must be a finite number >= 0 (0: off)");
            }
            AttackSettings attack =
                    new AttackSettings(
                            choice("attack.name"),
                            choice("attack.norm"),
                            eps,
                            atMostLimit("attack.iterations", 0, "limits.attack-iterations"),
                            atMostLimit("attack.eot", 1, "limits.eot-samples"),
                            atMostLimit("attack.restarts", 1, "limits.restarts"),
                            fraction("attack.step"),
                            choice("attack.gradient-mode"),
                            successFraction,
                            checkpoints("attack.budget-checkpoints", "limits.budget-checkpoints"),
                            atLeast("attack.surrogate-steps", 0),
                            oneOf("attack.surrogate-noise", "summed", "independent"),
                            oneOf("attack.surrogate-evaluation", "defence", "checkpoints"),
                            deviationWeight,
                            atLeast("attack.deviation-steps", 0),
                            atMostLimit("attack.re-evaluations", 0, "limits.votes"),
                            oneOf("attack.early-stop", "success-fraction", "plurality"),
                            atMostLimit("attack.evaluations", 0, "limits.eot-samples"),
                            oneOf("attack.grafting", "coarse", "authors"));
            boolean lpips = attack.norm().equalsIgnoreCase("lpips");
            if (lpips && !models.hasPerceptual()) {
                throw bad(
                        "model.perceptual",
                        "must name a perceptual model (kind perceptual) for attack.norm = lpips");
            }
            if (!lpips && models.hasPerceptual()) {
                throw bad(
                        "model.perceptual",
                        "is read for attack.norm = lpips only (found attack.norm = "
                                + attack.norm()
                                + "): leave it empty");
            }
            EvalSettings eval =
                    new EvalSettings(
                            atMostLimit("eval.votes", 1, "limits.votes"),
                            atLeast("eval.clean-during-cap", 0),
                            atLeast("eval.clean-during-copies-per-call", 1),
                            oneOf(
                                    "eval.stop-metric",
                                    EvalSettings.STOP_METRICS.toArray(new String[0])),
                            number("eval.target-half-width"));
            if (!(eval.targetHalfWidth() >= 0 && eval.targetHalfWidth() < 0.5)) {
                throw bad("eval.target-half-width", "must be in [0, 0.5) (0: no target)");
            }
            if ((eval.targetHalfWidth() > 0 || run.budget() > 0) && !data.seededOrder()) {
                // The confidence sequence is valid for samples in random order; sorted indices
                // are grouped by class wherever the data set is.
                throw bad(
                        "data.order",
                        "must be seeded when eval.target-half-width or run.budget is set (a"
                                + " stopping rule's confidence sequence needs the samples in random"
                                + " order)");
            }
            SanitySettings sanity =
                    new SanitySettings(
                            atMostLimit("sanity.subset", 0, "limits.samples"),
                            positive("sanity.iteration-factor"),
                            positive("sanity.eps-factor"),
                            atMostLimit("sanity.square-queries", 1, "limits.attack-iterations"),
                            probability("sanity.alpha"),
                            probability("sanity.unbounded-max-robust"),
                            probability("sanity.square-margin"));
            RuntimeSettings runtime =
                    new RuntimeSettings(
                            nonEmpty("runtime.device"),
                            atLeast("runtime.torch-threads", 1),
                            atLeast("runtime.micro-batch-rows", 0),
                            bytes("runtime.memory-budget"),
                            string("runtime.model-cache-dir"),
                            atLeast("runtime.noise-threads", -1),
                            atLeast("runtime.backprop-min-rows", 1));
            ExperimentConfig config =
                    new ExperimentConfig(
                            nonEmpty("experiment.name"),
                            run,
                            data,
                            models,
                            purify,
                            attack,
                            eval,
                            sanity,
                            runtime,
                            sweep(),
                            hash);
            try {
                strategies.check().accept(config);
            } catch (IllegalArgumentException e) {
                throw new ConfigError(
                        e.getMessage()
                                + " (set in "
                                + where(c.getValue("attack.name").origin())
                                + ")",
                        e);
            }
            if (sanity.subset() > 0) {
                checkSanityIterations(
                        strategies.attackIterations().applyAsInt(attack), sanity.iterationFactor());
            }
            return config;
        }

        /**
         * An attack budget or sample count, checked against its limits.* key when the config is
         * loaded, before anything is sized by it: a mistyped or hostile 2000000000 would otherwise
         * hold executors for years or size buffers by it.
         */
        int atMostLimit(String key, int min, String limitKey) {
            int v = atLeast(key, min);
            int limit = atLeast(limitKey, 1);
            if (v > limit) {
                throw bad(
                        key,
                        "must be <= "
                                + limitKey
                                + " = "
                                + limit
                                + " (raise the limit if the budget is genuine)");
            }
            return v;
        }

        /**
         * The sanity checks rerun the attack with iteration-factor x its iterations (its preset's
         * when attack.iterations is 0): that budget is an attack budget too.
         */
        void checkSanityIterations(int iterations, double factor) {
            int limit = atLeast("limits.attack-iterations", 1);
            if (Math.ceil(iterations * factor) > limit) {
                throw bad(
                        "sanity.iteration-factor",
                        "times the attack's "
                                + iterations
                                + " iterations"
                                + " must be <= limits.attack-iterations = "
                                + limit
                                + " (the sanity checks rerun the attack with that budget)");
            }
        }

        LimitsSettings limits() {
            return new LimitsSettings(
                    new ReadLimits(
                            positiveBytes("limits.file-bytes"),
                            positiveBytes("limits.text-file-bytes"),
                            positiveBytes("limits.gunzip-bytes"),
                            atLeast("limits.gunzip-ratio", 1),
                            atLeast("limits.samples", 1),
                            atLeastLong("limits.image-pixels", 1),
                            atLeastLong("limits.idx-image-pixels", 1)),
                    new ManifestLimits(
                            positiveBytes("limits.manifest-bytes"),
                            atLeastLong("limits.manifest-input-elements", 1),
                            atLeast("limits.manifest-classes", 2)));
        }

        long positiveBytes(String key) {
            long v = bytes(key);
            if (v < 1) {
                throw bad(key, "must be >= 1");
            }
            return v;
        }

        long atLeastLong(String key, long min) {
            long v = longValue(key);
            if (v < min) {
                throw bad(key, "must be >= " + min);
            }
            return v;
        }

        SweepSettings sweep() {
            List<Double> eps = fractions("sweep.eps");
            for (double e : eps) {
                if (!(e >= 0) || !Double.isFinite(e)) {
                    throw bad("sweep.eps", "must hold finite numbers >= 0");
                }
            }
            List<Double> ts = fractions("sweep.t-star");
            for (double t : ts) {
                if (!(t > 0 && t <= 1)) {
                    throw bad("sweep.t-star", "must hold values in (0, 1]");
                }
            }
            if (eps.stream().distinct().count() < eps.size()
                    || ts.stream().distinct().count() < ts.size()) {
                throw bad(
                        eps.size() > eps.stream().distinct().count() ? "sweep.eps" : "sweep.t-star",
                        "must not repeat a value");
            }
            return new SweepSettings(eps, ts);
        }

        /** A list of numbers or fraction strings ("8/255"). */
        List<Double> fractions(String key) {
            List<? extends ConfigValue> list;
            try {
                list = c.getList(key);
            } catch (ConfigException e) {
                throw bad(key, "must be a list of numbers or fractions like 8/255");
            }
            java.util.ArrayList<Double> out = new java.util.ArrayList<>();
            for (ConfigValue v : list) {
                Object raw = v.unwrapped();
                if (raw instanceof Number n) {
                    out.add(n.doubleValue());
                    continue;
                }
                String s = String.valueOf(raw).trim();
                try {
                    int slash = s.indexOf('/');
                    out.add(
                            slash < 0
                                    ? Double.parseDouble(s)
                                    : Double.parseDouble(s.substring(0, slash).trim())
                                            / Double.parseDouble(s.substring(slash + 1).trim()));
                } catch (NumberFormatException e) {
                    throw bad(key, "must be a list of numbers or fractions like 8/255");
                }
            }
            return out;
        }

        ReportSettings report() {
            double alpha = number("report.regression-alpha");
            if (!(alpha > 0 && alpha < 1)) {
                throw bad("report.regression-alpha", "must be in (0, 1)");
            }
            return new ReportSettings(
                    string("report.dir"),
                    alpha,
                    oneOf(
                            "report.regression-metric",
                            ReportSettings.METRICS.toArray(new String[0])),
                    gallerySamples());
        }

        /** report.gallery-samples: a page of a thousand samples' pictures is already too long. */
        private int gallerySamples() {
            int v = atLeast("report.gallery-samples", 0);
            if (v > ReportSettings.MAX_GALLERY_SAMPLES) {
                throw bad(
                        "report.gallery-samples",
                        "must be <= " + ReportSettings.MAX_GALLERY_SAMPLES);
            }
            return v;
        }

        private double positive(String key) {
            double v = number(key);
            if (!(v > 0) || !Double.isFinite(v)) {
                throw bad(key, "must be a finite number > 0");
            }
            return v;
        }

        private double probability(String key) {
            double v = number(key);
            if (!(v >= 0 && v <= 1)) {
                throw bad(key, "must be in [0, 1]");
            }
            return v;
        }

        private ConfigError bad(String key, String why) {
            ConfigValue v = c.getValue(key);
            return new ConfigError(
                    key
                            + " "
                            + why
                            + ", found "
                            + shown(key, v.render())
                            + " (set in "
                            + where(v.origin())
                            + ")");
        }

        private <T> T get(String key, java.util.function.Function<String, T> getter, String type) {
            try {
                return getter.apply(key);
            } catch (ConfigException.Missing e) {
                throw new ConfigError(key + " is missing", e);
            } catch (ConfigException e) {
                throw bad(key, "must be " + type);
            }
        }

        String string(String key) {
            return get(key, c::getString, "a string");
        }

        String nonEmpty(String key) {
            String s = string(key);
            if (s.isBlank()) {
                throw bad(key, "must not be empty");
            }
            return s;
        }

        /** Strictly increasing iteration counts >= 0. */
        /** Strictly increasing counts >= 0, at most limitKey of them (each costs K votes). */
        List<Integer> checkpoints(String key, String limitKey) {
            List<Integer> v = get(key, c::getIntList, "a list of integers");
            int limit = atLeast(limitKey, 1);
            if (v.size() > limit) {
                throw bad(
                        key,
                        "must have <= "
                                + limitKey
                                + " = "
                                + limit
                                + " entries, has "
                                + v.size()
                                + " (each costs eval.votes more votes per sample; raise the limit"
                                + " if the list is genuine)");
            }
            for (int i = 0; i < v.size(); i++) {
                if (v.get(i) < 0 || i > 0 && v.get(i) <= v.get(i - 1)) {
                    throw bad(key, "must be strictly increasing iteration counts >= 0");
                }
            }
            return v;
        }

        List<String> strings(String key) {
            return get(key, c::getStringList, "a list of strings");
        }

        int atLeast(String key, int min) {
            int v = get(key, c::getInt, "an integer");
            if (v < min) {
                throw bad(key, "must be >= " + min);
            }
            return v;
        }

        /** A size: bytes as a number or a HOCON size string ("2g", "512 MiB"), >= 0. */
        long bytes(String key) {
            long v = get(key, c::getBytes, "a size in bytes such as 8g or 512m");
            if (v < 0) {
                throw bad(key, "must be >= 0");
            }
            return v;
        }

        long longValue(String key) {
            return get(key, c::getLong, "an integer");
        }

        double number(String key) {
            return get(key, c::getDouble, "a number");
        }

        /** A number, or a string "a/b" (eps = 8/255). */
        double fraction(String key) {
            ConfigValue v = c.getValue(key);
            Object raw = v.unwrapped();
            if (raw instanceof Number n) {
                return n.doubleValue();
            }
            String s = String.valueOf(raw).trim();
            try {
                int slash = s.indexOf('/');
                return slash < 0
                        ? Double.parseDouble(s)
                        : Double.parseDouble(s.substring(0, slash).trim())
                                / Double.parseDouble(s.substring(slash + 1).trim());
            } catch (NumberFormatException e) {
                throw bad(key, "must be a number or a fraction like 8/255");
            }
        }

        /** A strategy key's value, spelled as its package lists it. */
        String choice(String key) {
            return oneOf(key, strategies.choices().get(key).toArray(new String[0]));
        }

        String oneOf(String key, String... allowed) {
            String s = string(key);
            for (String a : allowed) {
                if (a.equalsIgnoreCase(s)) {
                    return a;
                }
            }
            throw bad(key, "must be one of " + List.of(allowed));
        }
    }
}
