package diffpure.jobs.store;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import diffpure.eval.Interval;
import diffpure.eval.Metric;
import diffpure.eval.ProtocolSummary;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The runs table's {@code stop_sequences}: every accuracy of a stopped run with its 95% confidence
 * sequence at the stop, as the driver computed it over the prefix in plan order (a report cannot
 * recompute it: the tables do not hold the plan order). JSON: {@code {"population": N, "clean":
 * {"single": [estimate, lower, upper, n], ...}, "robust": {...}}}, metrics by {@link Metric#key}.
 */
public final class StopSequences {
    private StopSequences() {}

    /** The JSON of a summary with confidence sequences. */
    public static String json(ProtocolSummary s, long population) {
        JsonObject o = new JsonObject();
        o.addProperty("population", population);
        JsonObject clean = new JsonObject();
        JsonObject robust = new JsonObject();
        put(clean, Metric.SINGLE, s.cleanSingle());
        put(clean, Metric.MAJORITY, s.cleanMajority());
        put(clean, Metric.MEAN, s.cleanMean());
        put(clean, Metric.WORST, s.cleanWorst());
        put(clean, Metric.DURING_ATTACK, s.cleanDuring());
        put(clean, Metric.AVERAGED_LOGIT, s.cleanLogit());
        put(robust, Metric.SINGLE, s.single());
        put(robust, Metric.MAJORITY, s.majority());
        put(robust, Metric.MEAN, s.mean());
        put(robust, Metric.WORST, s.worst());
        put(robust, Metric.DURING_ATTACK, s.duringAttack());
        put(robust, Metric.ANY, s.any());
        put(robust, Metric.AVERAGED_LOGIT, s.logit());
        o.add("clean", clean);
        o.add("robust", robust);
        return o.toString();
    }

    /**
     * The intervals of one side ("clean" or "robust") by metric key.
     *
     * @throws IllegalArgumentException naming the column when the JSON is not what {@link #json}
     *     writes
     */
    public static Map<String, Interval> side(String json, String side) {
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject().getAsJsonObject(side);
            Map<String, Interval> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : o.entrySet()) {
                JsonArray a = e.getValue().getAsJsonArray();
                out.put(
                        e.getKey(),
                        new Interval(
                                a.get(0).getAsDouble(),
                                a.get(1).getAsDouble(),
                                a.get(2).getAsDouble(),
                                a.get(3).getAsLong()));
            }
            return out;
        } catch (JsonParseException | IllegalStateException | NullPointerException e) {
            throw new IllegalArgumentException(
                    "stop_sequences of the runs table is not the JSON a stopped run writes: "
                            + e.getMessage(),
                    e);
        }
    }

    private static void put(JsonObject side, Metric m, Interval i) {
        if (i == null) {
            return;
        }
        JsonArray a = new JsonArray();
        a.add(i.estimate());
        a.add(i.lower());
        a.add(i.upper());
        a.add(i.trials());
        side.add(m.key(), a);
    }
}
