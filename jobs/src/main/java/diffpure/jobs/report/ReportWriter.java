package diffpure.jobs.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import diffpure.eval.Interval;
import diffpure.eval.McNemar;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a report: {@code report.html} (self-contained, charts embedded as base64 PNG), {@code
 * report.md} (a summary for chat or e-mail), {@code report.json} (every figure), and per setting
 * {@code robustbench/<setting>.json} (RobustBench model-card fields plus ours), with the JSON
 * Schema those files follow ({@code robustbench/entry.schema.json}).
 */
public final class ReportWriter {
    /** The schema of the per-setting JSON, shipped in the jar. */
    public static final String SCHEMA_RESOURCE = "/diffpure/report/robustbench-entry.schema.json";

    private static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private ReportWriter() {}

    /**
     * Where a report went.
     *
     * @param dir the report directory
     * @param html the HTML file
     * @param markdown the Markdown file
     * @param json the all-figures JSON file
     * @param robustbench the per-setting JSON files
     */
    public record Written(
            String dir, String html, String markdown, String json, List<String> robustbench) {}

    /** Writes every output under a directory (any Hadoop path), replacing earlier files. */
    public static Written write(ReportData d, String dir, Configuration conf) {
        String base = dir.replaceAll("/+$", "");
        List<Charts.Chart> charts = Charts.all(d);
        String html = base + "/report.html";
        String md = base + "/report.md";
        String json = base + "/report.json";
        put(conf, html, html(d, charts));
        put(conf, md, markdown(d));
        put(conf, json, GSON.toJson(all(d)));
        List<String> rb = new ArrayList<>();
        for (ReportData.SettingReport s : d.settings()) {
            String p = base + "/robustbench/" + s.setting().slug() + ".json";
            put(conf, p, GSON.toJson(robustBench(s.newest(), d)));
            rb.add(p);
        }
        put(conf, base + "/robustbench/entry.schema.json", schema());
        return new Written(base, html, md, json, rb);
    }

    /** The shipped JSON Schema of the per-setting files. */
    public static String schema() {
        try (InputStream in = ReportWriter.class.getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(SCHEMA_RESOURCE + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- JSON

    /** The RobustBench-style entry of a run's setting (model-card fields, then ours). */
    public static JsonObject robustBench(RunFigures f, ReportData d) {
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
        iv.addProperty("method", "wilson");
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

    private static String percent(Interval i) {
        return Double.isNaN(i.estimate())
                ? "0.00"
                : String.format(Locale.ROOT, "%.2f", 100 * i.estimate());
    }

    private static JsonObject intervals(Map<String, Interval> m) {
        JsonObject o = new JsonObject();
        for (Map.Entry<String, Interval> e : m.entrySet()) {
            o.add(e.getKey(), interval(e.getValue()));
        }
        return o;
    }

    private static JsonObject interval(Interval i) {
        JsonObject o = new JsonObject();
        num(o, "estimate", i.estimate());
        num(o, "lower", i.lower());
        num(o, "upper", i.upper());
        o.addProperty("n", i.trials());
        return o;
    }

    private static void num(JsonObject o, String k, double v) {
        if (Double.isFinite(v)) {
            o.addProperty(k, v);
        } else {
            o.add(k, com.google.gson.JsonNull.INSTANCE);
        }
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
        o.add("clean", intervals(f.clean()));
        o.add("robust", intervals(f.robust()));
        JsonObject c = new JsonObject();
        num(c, "seconds", f.cost().seconds());
        num(c, "core_hours", f.cost().coreHours());
        num(c, "gpu_hours", f.cost().gpuHours());
        num(c, "seconds_per_sample", f.cost().secondsPerSample());
        num(c, "gradients_per_sample", f.cost().gradientsPerSample());
        num(c, "purifications_per_sample", f.cost().purificationsPerSample());
        o.add("cost", c);
        num(o, "max_linf", f.maxLinf());
        num(o, "max_l2", f.maxL2());
        o.addProperty("gradient_modes", f.gradientModes());
        o.addProperty("samples_with_warnings", f.samplesWithWarnings());
        o.add("warnings", GSON.toJsonTree(f.warnings()));
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

    private static JsonElement parseOrString(String s) {
        try {
            return JsonParser.parseString(s);
        } catch (RuntimeException e) {
            return new com.google.gson.JsonPrimitive(s);
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

    // ---------------------------------------------------------------- Markdown

    /** A short summary for chat or e-mail. */
    static String markdown(ReportData d) {
        StringBuilder b = new StringBuilder();
        b.append("# diffpure-spark robustness report\n\n");
        b.append(
                d.regression()
                        ? "**REGRESSION FOUND** (McNemar, see below)\n\n"
                        : "No regression found.\n\n");
        b.append("Tables: `")
                .append(d.output())
                .append("` (samples schema ")
                .append(d.samplesSchemaVersions())
                .append(", runs schema ")
                .append(d.runsSchemaVersions())
                .append("); generated ")
                .append(d.generated())
                .append(". Accuracies: majority of K votes, 95% Wilson intervals.\n\n");
        b.append(
                "| setting | newest run | n | errors | clean | robust | worst of K | vs previous |\n");
        b.append("|---|---|---|---|---|---|---|---|\n");
        for (ReportData.SettingReport s : d.settings()) {
            RunFigures f = s.newest();
            b.append("| ")
                    .append(s.setting().label())
                    .append(" | `")
                    .append(f.runId())
                    .append("` | ")
                    .append(f.samples())
                    .append(" | ")
                    .append(f.errors())
                    .append(" | ")
                    .append(fmt(f.clean().get("majority")))
                    .append(" | ")
                    .append(fmt(f.robustMajority()))
                    .append(" | ")
                    .append(fmt(f.robust().get("worst")))
                    .append(" | ")
                    .append(compareText(s.comparison()))
                    .append(" |\n");
        }
        b.append('\n');
        for (ReportData.SettingReport s : d.settings()) {
            for (RescoreFigures r : d.rescoresOf(s.newest())) {
                b.append("- rescore `")
                        .append(r.rescoreId())
                        .append("` of `")
                        .append(r.sourceRunId())
                        .append("` as ")
                        .append(r.rescoredAs())
                        .append(": robust ")
                        .append(fmt(r.robust().get("majority")))
                        .append(" (original ")
                        .append(fmt(s.newest().robustMajority()))
                        .append(")\n");
            }
        }
        return b.toString();
    }

    private static String compareText(Comparison c) {
        if (c == null) {
            return "first run";
        }
        String t =
                String.format(
                        Locale.ROOT,
                        "robust %d right→wrong, %d wrong→right, p=%.3g; clean p=%.3g (%d paired, vs `%s`)",
                        c.robust().onlyA(),
                        c.robust().onlyB(),
                        c.robust().pValue(),
                        c.clean().pValue(),
                        c.paired(),
                        c.olderRunId());
        return c.regression() ? "**REGRESSION** " + t : t;
    }

    static String fmt(Interval i) {
        if (i == null || i.trials() == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", i.estimate(), i.lower(), i.upper());
    }

    // ---------------------------------------------------------------- HTML

    /** The self-contained HTML report. */
    static String html(ReportData d, List<Charts.Chart> charts) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>diffpure-spark robustness report</title><style>")
                .append("body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}")
                .append("table{border-collapse:collapse;margin:8px 0 16px}")
                .append(
                        "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}")
                .append("th{background:#eee}.num{text-align:right;font-family:monospace}")
                .append(".bad{background:#fdd;font-weight:bold}.ok{background:#dfd}")
                .append("img{max-width:100%;border:1px solid #ddd}h2{margin-top:32px}")
                .append("</style></head><body>\n");
        b.append("<h1>diffpure-spark robustness report</h1>\n");
        b.append("<p class=\"")
                .append(d.regression() ? "bad" : "ok")
                .append("\">")
                .append(
                        d.regression()
                                ? "REGRESSION FOUND: see the comparisons below."
                                : "No regression found.")
                .append("</p>\n");
        b.append("<p>Tables read: <code>")
                .append(esc(d.output()))
                .append("</code>; samples schema version ")
                .append(esc(d.samplesSchemaVersions().toString()))
                .append(", runs schema version ")
                .append(esc(d.runsSchemaVersions().toString()))
                .append(". Generated ")
                .append(esc(d.generated()))
                .append(
                        ". Every accuracy has its 95% Wilson interval; runs of a setting are compared by")
                .append(" McNemar's test on paired per-sample outcomes.</p>\n");

        b.append(
                        "<h2>Settings (newest run)</h2>\n<table><tr><th>setting</th><th>run</th><th>n</th>")
                .append("<th>errors</th><th>clean (majority)</th><th>robust (majority)</th>")
                .append("<th>robust (worst of K)</th><th>vs previous run</th></tr>\n");
        for (ReportData.SettingReport s : d.settings()) {
            RunFigures f = s.newest();
            Comparison c = s.comparison();
            b.append("<tr><td><a href=\"#")
                    .append(s.setting().slug())
                    .append("\">")
                    .append(esc(s.setting().label()))
                    .append("</a></td><td><code>")
                    .append(esc(f.runId()))
                    .append("</code></td><td class=\"num\">")
                    .append(f.samples())
                    .append("</td><td class=\"num\">")
                    .append(f.errors())
                    .append("</td><td class=\"num\">")
                    .append(fmt(f.clean().get("majority")))
                    .append("</td><td class=\"num\">")
                    .append(fmt(f.robustMajority()))
                    .append("</td><td class=\"num\">")
                    .append(fmt(f.robust().get("worst")))
                    .append("</td><td")
                    .append(c != null && c.regression() ? " class=\"bad\"" : "")
                    .append(">")
                    .append(esc(compareText(c).replace("**", "")))
                    .append("</td></tr>\n");
        }
        b.append("</table>\n");

        b.append("<h2>Charts</h2>\n");
        for (Charts.Chart c : charts) {
            b.append("<figure id=\"chart-")
                    .append(c.id())
                    .append("\"><img class=\"chart\" alt=\"")
                    .append(esc(c.title()))
                    .append("\" width=\"")
                    .append(Charts.WIDTH)
                    .append("\" height=\"")
                    .append(Charts.HEIGHT)
                    .append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(c.png()))
                    .append("\"><figcaption>")
                    .append(esc(c.caption()))
                    .append("</figcaption></figure>\n");
        }

        for (ReportData.SettingReport s : d.settings()) {
            b.append("<h2 id=\"")
                    .append(s.setting().slug())
                    .append("\">")
                    .append(esc(s.setting().label()))
                    .append("</h2>\n");
            for (RunFigures f : reversed(s.runs())) {
                runHtml(b, f, d);
            }
            if (s.comparison() != null) {
                Comparison c = s.comparison();
                b.append(
                                "<h3>Newest against previous run</h3><table><tr><th></th><th>right→wrong</th>")
                        .append(
                                "<th>wrong→right</th><th>McNemar p</th><th>test</th><th>regression</th></tr>");
                mcnemarRow(b, "clean (" + c.metric() + ")", c.clean(), c.cleanRegression());
                mcnemarRow(b, "robust (" + c.metric() + ")", c.robust(), c.robustRegression());
                b.append("</table><p>")
                        .append(c.paired())
                        .append(" paired samples, <code>")
                        .append(esc(c.olderRunId()))
                        .append("</code> → <code>")
                        .append(esc(c.newerRunId()))
                        .append(
                                "</code>; regression when more samples went right→wrong than back and p &lt; ")
                        .append(c.alpha())
                        .append(" (report.regression-alpha).</p>\n");
            }
        }
        // A marker for headless-browser checks: how many chart images the browser decoded.
        b.append(
                        "<script>window.addEventListener('load',function(){var a=document.querySelectorAll(")
                .append("'img.chart'),k=0;a.forEach(function(i){if(i.complete&&i.naturalWidth>0&&")
                .append("i.naturalHeight>0)k++;});document.body.setAttribute('data-charts-loaded',")
                .append("k+'/'+a.length);});</script>\n");
        b.append("</body></html>\n");
        return b.toString();
    }

    private static void runHtml(StringBuilder b, RunFigures f, ReportData d) {
        b.append("<h3>Run <code>")
                .append(esc(f.runId()))
                .append("</code> (")
                .append(esc(f.status()))
                .append(f.started() == null ? "" : ", started " + f.started().toInstant())
                .append(")</h3>\n");
        b.append("<table><tr><th>protocol</th><th>clean</th><th>robust</th>");
        List<RescoreFigures> rescores = d.rescoresOf(f);
        for (RescoreFigures r : rescores) {
            b.append("<th>rescored clean: ")
                    .append(esc(r.rescoredAs()))
                    .append("</th><th>rescored robust</th>");
        }
        b.append("</tr>\n");
        List<String> keys = new ArrayList<>(f.robust().keySet());
        for (String k : keys) {
            b.append("<tr><td>")
                    .append(esc(k))
                    .append("</td><td class=\"num\">")
                    .append(fmt(f.clean().get(k)))
                    .append("</td><td class=\"num\">")
                    .append(fmt(f.robust().get(k)))
                    .append("</td>");
            for (RescoreFigures r : rescores) {
                b.append("<td class=\"num\">")
                        .append(fmt(r.clean().get(k)))
                        .append("</td><td class=\"num\">")
                        .append(fmt(r.robust().get(k)))
                        .append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("samples without error / rows", f.samples() + " / " + f.rows());
        facts.put(
                "error rows", f.errors() + (f.errorKinds().isEmpty() ? "" : " " + f.errorKinds()));
        facts.put("gradient modes", f.gradientModes());
        facts.put("slot-seconds", String.format(Locale.ROOT, "%.1f", f.cost().seconds()));
        facts.put(
                "core-hours / GPU-hours",
                String.format(
                        Locale.ROOT, "%.4f / %.4f", f.cost().coreHours(), f.cost().gpuHours()));
        facts.put(
                "seconds per sample",
                String.format(Locale.ROOT, "%.3f", f.cost().secondsPerSample()));
        facts.put(
                "gradient evaluations per sample",
                String.format(Locale.ROOT, "%.1f", f.cost().gradientsPerSample()));
        facts.put(
                "purifications per sample",
                String.format(Locale.ROOT, "%.1f", f.cost().purificationsPerSample()));
        facts.put(
                "largest perturbation (Linf, L2)",
                String.format(
                        Locale.ROOT,
                        "%.5f (%.2f/255), %.4f",
                        f.maxLinf(),
                        255 * f.maxLinf(),
                        f.maxL2()));
        facts.put("rows with warnings", Long.toString(f.samplesWithWarnings()));
        facts.put(
                "config hash / git sha / schema",
                f.configHash() + " / " + f.gitSha() + " / " + f.schemaVersion());
        if (f.adjoint() != null) {
            RunFigures.Adjoint a = f.adjoint();
            facts.put(
                    "adjoint reconstruction error max (rows / run)",
                    String.format(
                            Locale.ROOT,
                            "%.3g / %.3g",
                            a.reconstructionErrorMax(),
                            a.runReconstructionErrorMax()));
            facts.put(
                    "adjoint cosine min (rows / run)",
                    String.format(Locale.ROOT, "%.4f / %.4f", a.cosineMin(), a.runCosineMin()));
        }
        b.append("<table>");
        for (Map.Entry<String, String> e : facts.entrySet()) {
            b.append("<tr><th>")
                    .append(esc(e.getKey()))
                    .append("</th><td>")
                    .append(esc(e.getValue()))
                    .append("</td></tr>");
        }
        b.append("</table>\n");
        if (!f.warnings().isEmpty() || f.sanity() != null) {
            b.append("<p>Gradient-masking findings:</p><ul>");
            for (Map.Entry<String, Long> w : f.warnings().entrySet()) {
                b.append("<li>")
                        .append(w.getValue())
                        .append(" rows: ")
                        .append(esc(w.getKey()))
                        .append("</li>");
            }
            if (f.sanity() != null) {
                sanityHtml(b, f.sanity());
            }
            b.append("</ul>\n");
        }
    }

    private static void sanityHtml(StringBuilder b, String sanity) {
        JsonElement e = parseOrString(sanity);
        if (e.isJsonObject() && e.getAsJsonObject().has("checks")) {
            JsonObject o = e.getAsJsonObject();
            String subset = o.has("subset") ? o.get("subset").toString() : "?";
            for (JsonElement c : o.getAsJsonArray("checks")) {
                JsonObject co = c.getAsJsonObject();
                String name = co.has("name") ? co.get("name").getAsString() : "?";
                JsonElement w = co.get("warning");
                b.append("<li>sanity check <b>")
                        .append(esc(name))
                        .append("</b> on ")
                        .append(esc(subset))
                        .append(" samples: ")
                        .append(esc(co.has("measured") ? co.get("measured").toString() : ""))
                        .append(
                                w == null || w.isJsonNull()
                                        ? " (passed)"
                                        : " <span class=\"bad\">"
                                                + esc(w.getAsString())
                                                + "</span>")
                        .append("</li>");
            }
        } else {
            b.append("<li>sanity: <code>").append(esc(sanity)).append("</code></li>");
        }
    }

    private static void mcnemarRow(StringBuilder b, String name, McNemar m, boolean regression) {
        b.append("<tr><td>")
                .append(esc(name))
                .append("</td><td class=\"num\">")
                .append(m.onlyA())
                .append("</td><td class=\"num\">")
                .append(m.onlyB())
                .append("</td><td class=\"num\">")
                .append(String.format(Locale.ROOT, "%.4g", m.pValue()))
                .append("</td><td>")
                .append(m.method())
                .append("</td><td")
                .append(regression ? " class=\"bad\">yes" : ">no")
                .append("</td></tr>");
    }

    private static <T> List<T> reversed(List<T> l) {
        List<T> r = new ArrayList<>(l);
        java.util.Collections.reverse(r);
        return r;
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;");
    }

    private static void put(Configuration conf, String path, String text) {
        Path p = new Path(path);
        try {
            FileSystem fs = p.getFileSystem(conf);
            // No .crc side files next to the report on local disks.
            fs.setWriteChecksum(false);
            try (OutputStream out = fs.create(p, true)) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + path + ": " + e.getMessage(), e);
        }
    }
}
