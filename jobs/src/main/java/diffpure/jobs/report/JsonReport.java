package diffpure.jobs.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import diffpure.eval.Interval;
import diffpure.eval.McNemar;
import java.util.Locale;
import java.util.Map;

/**
 * The report's JSON: {@code report.json} (every figure) and the RobustBench-style entry of each
 * setting's newest run. Strings go in as JSON strings (Gson escapes what JSON needs); nothing here
 * is read by a browser as markup.
 */
final class JsonReport {
    static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private JsonReport() {}

    /** The RobustBench-style entry of a run's setting (model-card fields, then ours). */
    static JsonObject robustBench(RunFigures f, ReportData d) {
        Setting s = f.setting();
        JsonObject o = new JsonObject();
        o.addProperty("name", f.experiment());
        o.addProperty("architecture", s.classifier());
        o.addProperty("dataset", s.dataset());
        o.addProperty("threat_model", s.norm());
        o.addProperty("eps", Setting.epsText(s.eps()));
        o.addProperty("clean_acc", percent(f.clean().get("majority")));
        o.addProperty(accKey(s.attack()), percent(f.robustMajority()));
        o.addProperty("number_forward_passes", s.votes());
        o.addProperty("protocol", "majority-of-K");
        o.addProperty("votes", s.votes());
        o.addProperty("eps_value", s.eps());
        o.addProperty("attack", s.attack());
        o.addProperty("gradient_modes", f.gradientModes());
        JsonObject defence = new JsonObject();
        defence.addProperty("purifier", s.purifier());
        defence.addProperty("t_star", s.tStar());
        defence.addProperty("steps", s.steps());
        defence.addProperty("score_model", s.scoreModel());
        o.add("defence", defence);
        o.addProperty("samples", f.samples());
        o.addProperty("errors", f.errors());
        JsonObject iv = new JsonObject();
        method(iv, f);
        iv.addProperty("confidence", 0.95);
        iv.add("clean", intervals(f.clean()));
        iv.add("robust", intervals(f.robust()));
        o.add("intervals", iv);
        o.addProperty("run_id", f.runId());
        o.addProperty("config_hash", f.configHash());
        o.addProperty("git_sha", f.gitSha());
        o.addProperty("schema_version", f.schemaVersion());
        o.addProperty("generated", d.generated());
        return o;
    }

    /** RobustBench's name for the robust accuracy: autoattack_acc for AutoAttack, else NAME_acc. */
    static String accKey(String attack) {
        return attack.startsWith("autoattack")
                ? "autoattack_acc"
                : attack.replaceAll("[^A-Za-z0-9]+", "_").toLowerCase(Locale.ROOT) + "_acc";
    }

    /** Every figure of the report. */
    static JsonObject all(ReportData d) {
        JsonObject o = new JsonObject();
        o.addProperty("output", d.output());
        o.addProperty("generated", d.generated());
        o.add("samples_schema_versions", GSON.toJsonTree(d.samplesSchemaVersions()));
        o.add("runs_schema_versions", GSON.toJsonTree(d.runsSchemaVersions()));
        o.addProperty("regression", d.regression());
        JsonArray settings = new JsonArray();
        for (ReportData.SettingReport s : d.settings()) {
            JsonObject so = new JsonObject();
            so.addProperty("setting", s.setting().label());
            so.addProperty("slug", s.setting().slug());
            so.add("key", GSON.toJsonTree(s.setting()));
            JsonArray runs = new JsonArray();
            for (RunFigures f : s.runs()) {
                runs.add(run(f, d));
            }
            so.add("runs", runs);
            if (s.comparison() != null) {
                so.add("comparison", comparison(s.comparison()));
            }
            settings.add(so);
        }
        o.add("settings", settings);
        if (!d.strongest().isEmpty()) {
            o.add("strongest", StrongestReport.json(d));
        }
        return o;
    }

    private static JsonObject run(RunFigures f, ReportData d) {
        JsonObject o = new JsonObject();
        o.addProperty("run_id", f.runId());
        o.addProperty("experiment", f.experiment());
        o.addProperty("started", f.started() == null ? null : f.started().toInstant().toString());
        o.addProperty("status", f.status());
        o.addProperty("config_hash", f.configHash());
        o.addProperty("git_sha", f.gitSha());
        o.addProperty("schema_version", f.schemaVersion());
        o.addProperty("rows", f.rows());
        o.addProperty("samples", f.samples());
        o.addProperty("errors", f.errors());
        o.add("error_kinds", GSON.toJsonTree(f.errorKinds()));
        JsonObject iv = new JsonObject();
        method(iv, f);
        o.add("intervals", iv);
        o.add("clean", intervals(f.clean()));
        o.add("robust", intervals(f.robust()));
        o.add("cost", cost(f.cost()));
        num(o, "max_linf", f.maxLinf());
        num(o, "max_l2", f.maxL2());
        o.addProperty("gradient_modes", f.gradientModes());
        o.addProperty("samples_with_warnings", f.samplesWithWarnings());
        o.add("warnings", GSON.toJsonTree(f.warnings()));
        BudgetCurves.RunCurve curve = d.budgetCurveOf(f);
        if (curve != null) {
            o.add("budget_curve", BudgetCurves.json(curve.curve()));
        }
        if (f.adjoint() != null) {
            JsonObject a = new JsonObject();
            num(a, "reconstruction_error_max", f.adjoint().reconstructionErrorMax());
            num(a, "cosine_min", f.adjoint().cosineMin());
            num(a, "run_reconstruction_error_max", f.adjoint().runReconstructionErrorMax());
            num(a, "run_cosine_min", f.adjoint().runCosineMin());
            o.add("adjoint", a);
        }
        if (f.sanity() != null) {
            o.add("sanity", parseOrString(f.sanity()));
        }
        JsonArray rs = new JsonArray();
        for (RescoreFigures r : d.rescoresOf(f)) {
            JsonObject x = new JsonObject();
            x.addProperty("rescore_id", r.rescoreId());
            x.addProperty("rescored_as", r.rescoredAs());
            x.addProperty("samples", r.samples());
            x.addProperty("errors", r.errors());
            x.add("clean", intervals(r.clean()));
            x.add("robust", intervals(r.robust()));
            rs.add(x);
        }
        if (!rs.isEmpty()) {
            o.add("rescores", rs);
        }
        return o;
    }

    /**
     * What the run's intervals are: "wilson", or "confidence-sequence" with where the run stopped
     * (samples of the plan order the intervals cover, reason, step-rows, stop metric).
     */
    private static void method(JsonObject iv, RunFigures f) {
        iv.addProperty("method", f.stop() == null ? "wilson" : "confidence-sequence");
        if (f.stop() != null) {
            JsonObject stop = new JsonObject();
            stop.addProperty("samples", f.stop().samples());
            stop.addProperty("reason", f.stop().reason());
            stop.addProperty("step_rows", f.stop().stepRows());
            stop.addProperty("metric", f.stop().metric());
            iv.add("stop", stop);
        }
    }

    private static JsonObject cost(RunFigures.Cost cost) {
        JsonObject c = new JsonObject();
        num(c, "seconds", cost.seconds());
        num(c, "core_hours", cost.coreHours());
        num(c, "gpu_hours", cost.gpuHours());
        num(c, "seconds_per_sample", cost.secondsPerSample());
        num(c, "gradients_per_sample", cost.gradientsPerSample());
        num(c, "purifications_per_sample", cost.purificationsPerSample());
        return c;
    }

    /** The stored sanity JSON as JSON, or as a string when it does not parse. */
    private static JsonElement parseOrString(String s) {
        try {
            return JsonParser.parseString(s);
        } catch (JsonParseException e) {
            return new JsonPrimitive(s);
        }
    }

    private static JsonObject comparison(Comparison c) {
        JsonObject o = new JsonObject();
        o.addProperty("older_run_id", c.olderRunId());
        o.addProperty("newer_run_id", c.newerRunId());
        o.addProperty("paired_samples", c.paired());
        o.addProperty("metric", c.metric());
        o.addProperty("alpha", c.alpha());
        o.add("clean", mcnemar(c.clean(), c.cleanRegression()));
        o.add("robust", mcnemar(c.robust(), c.robustRegression()));
        o.addProperty("regression", c.regression());
        return o;
    }

    private static JsonObject mcnemar(McNemar m, boolean regression) {
        JsonObject o = new JsonObject();
        o.addProperty("right_to_wrong", m.onlyA());
        o.addProperty("wrong_to_right", m.onlyB());
        o.addProperty("p_value", m.pValue());
        o.addProperty("method", m.method().name());
        o.addProperty("regression", regression);
        return o;
    }

    private static String percent(Interval i) {
        return Double.isNaN(i.estimate())
                ? "0.00"
                : String.format(Locale.ROOT, "%.2f", 100 * i.estimate());
    }

    static JsonObject intervals(Map<String, Interval> m) {
        JsonObject o = new JsonObject();
        for (Map.Entry<String, Interval> e : m.entrySet()) {
            JsonObject i = new JsonObject();
            num(i, "estimate", e.getValue().estimate());
            num(i, "lower", e.getValue().lower());
            num(i, "upper", e.getValue().upper());
            i.addProperty("n", e.getValue().trials());
            o.add(e.getKey(), i);
        }
        return o;
    }

    private static void num(JsonObject o, String k, double v) {
        if (Double.isFinite(v)) {
            o.addProperty(k, v);
        } else {
            o.add(k, JsonNull.INSTANCE);
        }
    }
}
