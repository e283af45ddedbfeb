package diffpure.model;

import ai.djl.Device;
import com.google.gson.GsonBuilder;
import diffpure.sde.VpSchedule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Registers a TorchScript file that follows the calling convention (see {@link ModelKind}):
 * computes its sha256, parameter count and golden probe with the running libtorch, refuses it when
 * the probe shows it breaks the convention, and writes the manifest beside it in the JSON format
 * that tools/demo_models.py and the export tools write ({@code diffpure model manifest}).
 *
 * <p>Probe conventions, shared with the Python writers: the input is {@link ProbeInputs} from seed
 * {@link #SCORE_MODEL_PROBE_SEED} (score models, uniform in [-1, 1), at times {@link
 * #SCORE_MODEL_PROBE_TIMES}), {@link #CLASSIFIER_PROBE_SEED} (classifiers, uniform in [0, 1)) or
 * {@link #PERCEPTUAL_PROBE_SEED} and the seed after it (perceptual models: two batches uniform in
 * [0, 1)), {@link GoldenProbe#ROWS} rows; the recorded elements are {@link #PROBE_INDICES} that lie
 * inside the output, plus its sum and L2 norm (computed in double), relative tolerance {@link
 * #PROBE_TOLERANCE}.
 */
public final class ModelManifests {
    /** Probe seed of score models. */
    public static final long SCORE_MODEL_PROBE_SEED = 20221;

    /** Probe seed of classifiers. */
    public static final long CLASSIFIER_PROBE_SEED = 20222;

    /** Probe seed of a perceptual model's first input; its second input uses the next seed. */
    public static final long PERCEPTUAL_PROBE_SEED = 20223;

    /**
     * Probe times of score models, used when they lie in [t-min, t-max]; otherwise the quartiles
     * t-min + (t-max - t-min) / 4 and t-min + 3 (t-max - t-min) / 4.
     */
    public static final List<Double> SCORE_MODEL_PROBE_TIMES = List.of(0.05, 0.3);

    /** Flat output indices recorded by the probe (those inside the output). */
    public static final List<Integer> PROBE_INDICES =
            List.of(0, 1, 7, 100, 333, 391, 500, 783, 784, 1000, 1234, 1567);

    /** Relative tolerance of the golden probe. */
    public static final double PROBE_TOLERANCE = 1e-3;

    private ModelManifests() {}

    /**
     * What the user says about a model file; everything else is measured.
     *
     * @param kind score model, classifier or perceptual model
     * @param imageShape per-image input shape [C, H, W]
     * @param classes classes of a classifier (ignored for the other kinds)
     * @param schedule VP schedule of a score model (ignored for classifiers)
     * @param minTime smallest trained diffusion time of a score model
     * @param maxTime largest trained diffusion time of a score model
     * @param name short model name
     * @param source where the weights came from
     * @param macsPerImage multiply-adds of one forward pass per image, 0 when unknown (omitted)
     */
    public record Request(
            ModelKind kind,
            long[] imageShape,
            int classes,
            VpSchedule schedule,
            double minTime,
            double maxTime,
            String name,
            String source,
            long macsPerImage) {
        public Request {
            imageShape = imageShape.clone();
        }

        @Override
        public long[] imageShape() {
            return imageShape.clone();
        }

        /**
         * Checks the values a manifest needs.
         *
         * @throws IllegalArgumentException naming the option and the value
         */
        void validate() {
            if (imageShape.length != 3 || Arrays.stream(imageShape).anyMatch(s -> s < 1)) {
                throw new IllegalArgumentException(
                        "input shape must be C,H,W with positive sizes, found "
                                + Arrays.toString(imageShape));
            }
            if (kind == ModelKind.CLASSIFIER && classes < 2) {
                throw new IllegalArgumentException(
                        "a classifier needs classes >= 2, found " + classes);
            }
            if (kind == ModelKind.SCORE_MODEL
                    && !(minTime >= 0 && maxTime > minTime && maxTime <= 1)) {
                throw new IllegalArgumentException(
                        "need 0 <= t-min < t-max <= 1, found t-min="
                                + minTime
                                + ", t-max="
                                + maxTime);
            }
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("the model name must not be empty");
            }
            if (macsPerImage < 0) {
                throw new IllegalArgumentException(
                        "macs-per-image must be >= 0, found " + macsPerImage);
            }
        }
    }

    /** The probe times for a score model trained on [minTime, maxTime]. */
    public static List<Double> scoreModelProbeTimes(double minTime, double maxTime) {
        boolean inside =
                SCORE_MODEL_PROBE_TIMES.stream().allMatch(t -> t >= minTime && t <= maxTime);
        if (inside) {
            return SCORE_MODEL_PROBE_TIMES;
        }
        double span = maxTime - minTime;
        return List.of(minTime + span / 4, minTime + 3 * span / 4);
    }

    /**
     * Loads the file with no manifest, runs the convention checks on the probe and computes the
     * manifest (not yet written; see {@link #write}).
     *
     * @param modelFile the .pt file
     * @param log receives each check passed
     * @return the manifest, whose {@link ModelManifest#file()} is where {@link #write} puts it
     * @throws ModelException naming the file and what the probe saw when it breaks the convention
     * @throws IllegalArgumentException when the request is invalid
     */
    public static ModelManifest create(
            Path modelFile, Request request, Device device, Consumer<ModelCheck> log) {
        request.validate();
        if (!Files.isRegularFile(modelFile)) {
            throw new ModelException(modelFile, "model file not found");
        }
        String sha = PtTorchScript.sha256(modelFile);
        log.accept(new ModelCheck("sha256", sha));
        boolean scoreModel = request.kind() == ModelKind.SCORE_MODEL;
        List<Double> times =
                scoreModel ? scoreModelProbeTimes(request.minTime(), request.maxTime()) : List.of();
        long seed =
                switch (request.kind()) {
                    case SCORE_MODEL -> SCORE_MODEL_PROBE_SEED;
                    case CLASSIFIER -> CLASSIFIER_PROBE_SEED;
                    case PERCEPTUAL -> PERCEPTUAL_PROBE_SEED;
                };
        try (TorchScriptModule module = TorchScriptModule.load(modelFile, request.name(), device)) {
            log.accept(new ModelCheck("load", "TorchScript loaded on " + module.device()));
            long parameters = module.parameterCount();
            log.accept(new ModelCheck("parameters", Long.toString(parameters)));
            float[] out =
                    ProbeRun.run(
                            module,
                            new ProbeRun.Setup(
                                    request.kind(),
                                    request.imageShape(),
                                    request.classes(),
                                    seed,
                                    times),
                            log);
            List<Integer> indices = new ArrayList<>();
            List<Double> values = new ArrayList<>();
            for (int i : PROBE_INDICES) {
                if (i < out.length) {
                    indices.add(i);
                    values.add((double) out[i]);
                }
            }
            double sum = 0;
            double sq = 0;
            for (float v : out) {
                sum += v;
                sq += (double) v * v;
            }
            GoldenProbe probe =
                    new GoldenProbe(
                            seed, times, indices, values, sum, Math.sqrt(sq), PROBE_TOLERANCE);
            return new ModelManifest(
                    ModelManifest.pathFor(modelFile),
                    request.kind(),
                    request.name(),
                    request.imageShape(),
                    request.kind() == ModelKind.CLASSIFIER ? request.classes() : 0,
                    scoreModel ? request.schedule() : VpSchedule.DEFAULT,
                    scoreModel ? request.minTime() : 0,
                    scoreModel ? request.maxTime() : 1,
                    sha,
                    request.source(),
                    probe,
                    request.macsPerImage(),
                    parameters,
                    0);
        }
    }

    /**
     * Writes a manifest as JSON to its {@link ModelManifest#file()}, replacing any file there.
     *
     * @throws ModelException naming the file when it cannot be written
     */
    public static void write(ModelManifest m) {
        try {
            Files.writeString(m.file(), toJson(m), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelException(m.file(), "cannot write the manifest: " + e.getMessage(), e);
        }
    }

    /**
     * Sets {@code graph-bytes-per-image} in a JSON manifest file, keeping every other key and its
     * order (export tools write keys this code does not read).
     *
     * @throws ModelException naming the file when it is not JSON or cannot be read or written
     */
    public static void recordGraphBytes(Path manifestFile, long bytesPerImage) {
        if (!manifestFile.toString().endsWith(".json")) {
            throw new ModelException(
                    manifestFile,
                    "graph-bytes-per-image is written into JSON manifests only; add"
                            + " graph-bytes-per-image = "
                            + bytesPerImage
                            + " to it by hand");
        }
        try {
            com.google.gson.JsonElement parsed =
                    com.google.gson.JsonParser.parseString(
                            Files.readString(manifestFile, StandardCharsets.UTF_8));
            if (!parsed.isJsonObject()) {
                throw new ModelException(
                        manifestFile,
                        "cannot record graph-bytes-per-image: the manifest is not a JSON object");
            }
            com.google.gson.JsonObject j = parsed.getAsJsonObject();
            j.addProperty("graph-bytes-per-image", bytesPerImage);
            Files.writeString(
                    manifestFile,
                    new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(j)
                            + "\n",
                    StandardCharsets.UTF_8);
        } catch (IOException | com.google.gson.JsonParseException e) {
            throw new ModelException(
                    manifestFile, "cannot record graph-bytes-per-image: " + e.getMessage(), e);
        }
    }

    /**
     * The manifest as JSON with the keys in the order tools/demo_models.py writes them (kind, name,
     * input-shape, classes (classifiers) or the score-model keys, source, parameters, sha256,
     * probe, macs-per-image, graph-bytes-per-image; the last two only when known).
     */
    public static String toJson(ModelManifest m) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("kind", m.kind().label());
        j.put("name", m.name());
        j.put("input-shape", m.imageShape());
        boolean scoreModel = m.kind() == ModelKind.SCORE_MODEL;
        if (scoreModel) {
            j.put("beta-min", m.schedule().betaMin());
            j.put("beta-max", m.schedule().betaMax());
            j.put("t-min", m.minTime());
            j.put("t-max", m.maxTime());
        } else if (m.kind() == ModelKind.CLASSIFIER) {
            j.put("classes", m.classes());
        }
        j.put("source", m.source());
        if (m.parameters() > 0) {
            j.put("parameters", m.parameters());
        }
        j.put("sha256", m.sha256());
        Map<String, Object> p = new LinkedHashMap<>();
        GoldenProbe g = m.probe();
        p.put("seed", g.seed());
        if (scoreModel) {
            p.put("t", g.times());
        }
        p.put("indices", g.indices());
        p.put("values", g.values());
        p.put("sum", g.sum());
        p.put("l2", g.l2());
        p.put("tolerance", g.tolerance());
        j.put("probe", p);
        if (m.macsPerImage() > 0) {
            j.put("macs-per-image", m.macsPerImage());
        }
        if (m.graphBytesPerImage() > 0) {
            j.put("graph-bytes-per-image", m.graphBytesPerImage());
        }
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(j)
                + "\n";
    }
}
