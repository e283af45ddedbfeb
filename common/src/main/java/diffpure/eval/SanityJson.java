package diffpure.eval;

import com.google.gson.FormattingStyle;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runs table's {@code sanity} column, written and read with Gson: {"subset": n, "checks":
 * [{"name", "measured": {...}, "warning": null | text}], "adjoint": {"compared_with", "cosine_min",
 * "sample_ids", "cosine", "reconstruction_error"}} (adjoint only for runs with adjoint gradients;
 * non-finite numbers as null). The text is one line with a space after each separator, as rows
 * written before Gson was used here, which read back the same.
 */
public final class SanityJson {
    private static final Gson GSON =
            new GsonBuilder()
                    .disableHtmlEscaping()
                    .serializeNulls()
                    .setFormattingStyle(FormattingStyle.COMPACT.withSpaceAfterSeparators(true))
                    .create();

    private SanityJson() {}

    /** The JSON of a report. */
    public static String write(GradientMaskingChecks.Report r) {
        JsonObject o = new JsonObject();
        o.addProperty("subset", r.subset());
        JsonArray checks = new JsonArray();
        for (GradientMaskingChecks.Check c : r.checks()) {
            JsonObject co = new JsonObject();
            co.addProperty("name", c.name());
            JsonObject measured = new JsonObject();
            for (Map.Entry<String, Object> e : c.measured().entrySet()) {
                measured.add(e.getKey(), value(e.getValue()));
            }
            co.add("measured", measured);
            co.add(
                    "warning",
                    c.warning() == null ? JsonNull.INSTANCE : new JsonPrimitive(c.warning()));
            checks.add(co);
        }
        o.add("checks", checks);
        if (r.adjoint() != null) {
            o.add("adjoint", adjoint(r.adjoint()));
        }
        return GSON.toJson(o);
    }

    /**
     * A report from its JSON.
     *
     * @throws IllegalArgumentException naming what is wrong when the text is not such JSON
     */
    public static GradientMaskingChecks.Report read(String json) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(json == null ? "" : json);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(
                        "sanity JSON must be an object, found " + kind(e));
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("sanity JSON does not parse: " + e.getMessage(), e);
        }
        int subset = (int) number(o, "subset").longValue();
        List<GradientMaskingChecks.Check> checks = new ArrayList<>();
        for (JsonElement c : array(o, "checks")) {
            checks.add(check(c));
        }
        AdjointAgreement adjoint = o.has("adjoint") ? adjoint(object(o, "adjoint")) : null;
        return new GradientMaskingChecks.Report(subset, checks, adjoint);
    }

    private static GradientMaskingChecks.Check check(JsonElement e) {
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException(
                    "sanity JSON: a check must be an object, found " + kind(e));
        }
        JsonObject c = e.getAsJsonObject();
        Map<String, Object> measured = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> m : object(c, "measured").entrySet()) {
            measured.put(m.getKey(), unwrap(m.getKey(), m.getValue()));
        }
        return new GradientMaskingChecks.Check(
                string(c, "name"), measured, optionalString(c, "warning"));
    }

    private static JsonObject adjoint(AdjointAgreement a) {
        JsonObject o = new JsonObject();
        o.addProperty("compared_with", a.exactMode());
        o.add("cosine_min", value(a.cosineMin()));
        JsonArray ids = new JsonArray();
        for (long id : a.sampleIds()) {
            ids.add(id);
        }
        o.add("sample_ids", ids);
        o.add("cosine", numbers(a.cosine()));
        o.add("reconstruction_error", numbers(a.reconstructionError()));
        return o;
    }

    private static AdjointAgreement adjoint(JsonObject o) {
        JsonArray ids = array(o, "sample_ids");
        long[] sampleIds = new long[ids.size()];
        for (int i = 0; i < sampleIds.length; i++) {
            sampleIds[i] = asNumber("adjoint.sample_ids", ids.get(i)).longValue();
        }
        try {
            return new AdjointAgreement(
                    sampleIds,
                    string(o, "compared_with"),
                    doubles(o, "cosine"),
                    doubles(o, "reconstruction_error"));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith("sanity JSON")
                    ? e
                    : new IllegalArgumentException("sanity JSON: adjoint: " + e.getMessage(), e);
        }
    }

    private static JsonArray numbers(double[] v) {
        JsonArray a = new JsonArray();
        for (double d : v) {
            a.add(value(d));
        }
        return a;
    }

    private static double[] doubles(JsonObject o, String key) {
        JsonArray a = array(o, key);
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).isJsonNull() ? Double.NaN : asNumber(key, a.get(i)).doubleValue();
        }
        return out;
    }

    /** A measured value: a number (null when not finite) or its text. */
    private static JsonElement value(Object v) {
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (!Double.isFinite(d)) {
                return JsonNull.INSTANCE;
            }
            return n instanceof Double || n instanceof Float
                    ? new JsonPrimitive(d)
                    : new JsonPrimitive(n.longValue());
        }
        return new JsonPrimitive(String.valueOf(v));
    }

    private static Object unwrap(String key, JsonElement e) {
        if (e.isJsonNull()) {
            return Double.NaN;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            String text = e.getAsString();
            return text.matches("-?[0-9]+") && text.length() < 19
                    ? (Object) Long.parseLong(text)
                    : (Object) e.getAsDouble();
        }
        if (e.isJsonPrimitive()) {
            return e.getAsString();
        }
        throw new IllegalArgumentException(
                "sanity JSON: measured '" + key + "' must be a number or text, found " + kind(e));
    }

    private static Number number(JsonObject o, String key) {
        return asNumber(key, required(o, key));
    }

    private static Number asNumber(String key, JsonElement e) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(
                    "sanity JSON: '" + key + "' must be a number, found " + kind(e));
        }
        return e.getAsNumber();
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = required(o, key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(
                    "sanity JSON: '" + key + "' must be text, found " + kind(e));
        }
        return e.getAsString();
    }

    private static String optionalString(JsonObject o, String key) {
        return !o.has(key) || o.get(key).isJsonNull() ? null : string(o, key);
    }

    private static JsonArray array(JsonObject o, String key) {
        JsonElement e = required(o, key);
        if (!e.isJsonArray()) {
            throw new IllegalArgumentException(
                    "sanity JSON: '" + key + "' must be an array, found " + kind(e));
        }
        return e.getAsJsonArray();
    }

    private static JsonObject object(JsonObject o, String key) {
        JsonElement e = required(o, key);
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException(
                    "sanity JSON: '" + key + "' must be an object, found " + kind(e));
        }
        return e.getAsJsonObject();
    }

    private static JsonElement required(JsonObject o, String key) {
        if (!o.has(key)) {
            throw new IllegalArgumentException("sanity JSON has no '" + key + "'");
        }
        return o.get(key);
    }

    private static String kind(JsonElement e) {
        if (e.isJsonNull()) {
            return "null";
        }
        if (e.isJsonArray()) {
            return "an array";
        }
        if (e.isJsonObject()) {
            return "an object";
        }
        return e.getAsJsonPrimitive().isNumber()
                ? "a number"
                : e.getAsJsonPrimitive().isBoolean() ? "a boolean" : "text";
    }
}
