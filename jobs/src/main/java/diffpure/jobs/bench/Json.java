package diffpure.jobs.bench;

import com.google.gson.GsonBuilder;
import java.util.Map;

/** One-line JSON for benchmark output (Gson comes with DJL). */
final class Json {
    private Json() {}

    static String of(Map<String, Object> values) {
        return new GsonBuilder()
                .serializeSpecialFloatingPointValues()
                .disableHtmlEscaping()
                .create()
                .toJson(values);
    }
}
