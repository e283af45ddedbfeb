package diffpure.jobs.report;

import static diffpure.jobs.report.ReportText.interval;
import static diffpure.jobs.report.UntrustedText.html;

import diffpure.eval.McNemar;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * {@code report.html}: self-contained, charts embedded as base64 PNG. Every string from the tables
 * goes through {@link UntrustedText#html} and only into element text or quoted attributes; ids and
 * anchors are setting slugs (letters, digits, '.', '_', '-'); the one script is the page's own,
 * with no data in it.
 */
final class HtmlReport {
    private HtmlReport() {}

    /** The page. */
    static String of(ReportData d, List<Charts.Chart> charts) {
        StringBuilder b = new StringBuilder();
        head(b, d);
        settingsTable(b, d);
        b.append("<h2>Charts</h2>\n");
        for (Charts.Chart c : charts) {
            chart(b, c);
        }
        for (ReportData.SettingReport s : d.settings()) {
            b.append("<h2 id=\"")
                    .append(s.setting().slug())
                    .append("\">")
                    .append(html(s.setting().label()))
                    .append("</h2>\n");
            List<RunFigures> newestFirst = new ArrayList<>(s.runs());
            Collections.reverse(newestFirst);
            for (RunFigures f : newestFirst) {
                HtmlRunSection.append(b, f, d.rescoresOf(f));
                BudgetCurves.RunCurve curve = d.budgetCurveOf(f);
                if (curve != null) {
                    BudgetCurves.appendHtml(b, curve, d.budgetCurves().indexOf(curve));
                }
            }
            if (s.comparison() != null) {
                comparison(b, s.comparison());
            }
        }
        StrongestReport.appendHtml(b, d);
        Gallery.appendHtml(b, d.gallery());
        // Markers for headless-browser checks: how many chart and gallery images were decoded.
        b.append(
                        "<script>window.addEventListener('load',function(){var a=document.querySelectorAll(")
                .append("'img.chart'),k=0;a.forEach(function(i){if(i.complete&&i.naturalWidth>0&&")
                .append("i.naturalHeight>0)k++;});document.body.setAttribute('data-charts-loaded',")
                .append("k+'/'+a.length);var g=document.querySelectorAll('img.gallery'),n=0;")
                .append("g.forEach(function(i){if(i.complete&&i.naturalWidth>0)n++;});")
                .append("document.body.setAttribute('data-gallery-loaded',n+'/'+g.length);});")
                .append("</script>\n");
        b.append("</body></html>\n");
        return b.toString();
    }

    private static void head(StringBuilder b, ReportData d) {
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>diffpure-spark robustness report</title><style>")
                .append("body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}")
                .append("table{border-collapse:collapse;margin:8px 0 16px}")
                .append(
                        "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}")
                .append("th{background:#eee}.num{text-align:right;font-family:monospace}")
                .append(".bad{background:#fdd;font-weight:bold}.ok{background:#dfd}")
                .append("img{max-width:100%;border:1px solid #ddd}h2{margin-top:32px}")
                .append("td,code{overflow-wrap:anywhere}")
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
                .append(html(d.output()))
                .append("</code>; samples schema version ")
                .append(html(d.samplesSchemaVersions().toString()))
                .append(", runs schema version ")
                .append(html(d.runsSchemaVersions().toString()))
                .append(". Generated ")
                .append(html(d.generated()))
                .append(
                        ". Every accuracy has its interval: "
                                + ReportText.INTERVALS
                                + "; runs of a setting are compared by")
                .append(" McNemar's test on paired per-sample outcomes.</p>\n");
    }

    private static void settingsTable(StringBuilder b, ReportData d) {
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
                    .append(html(s.setting().label()))
                    .append("</a></td><td><code>")
                    .append(html(f.runId()))
                    .append("</code></td><td class=\"num\">")
                    .append(f.samples())
                    .append("</td><td class=\"num\">")
                    .append(f.errors())
                    .append("</td><td class=\"num\">")
                    .append(interval(f.clean().get("majority")))
                    .append("</td><td class=\"num\">")
                    .append(interval(f.robustMajority()))
                    .append(html(ReportText.intervalNote(f)))
                    .append("</td><td class=\"num\">")
                    .append(interval(f.robust().get("worst")))
                    .append("</td><td")
                    .append(c != null && c.regression() ? " class=\"bad\"" : "")
                    .append(">")
                    .append(ReportText.comparison(c, id -> "<code>" + html(id) + "</code>"))
                    .append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    static void chart(StringBuilder b, Charts.Chart c) {
        b.append("<figure id=\"chart-")
                .append(c.id())
                .append("\"><img class=\"chart\" alt=\"")
                .append(html(c.title()))
                .append("\" width=\"")
                .append(Charts.WIDTH)
                .append("\" height=\"")
                .append(Charts.HEIGHT)
                .append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(c.png()))
                .append("\"><figcaption>")
                .append(html(c.caption()))
                .append("</figcaption></figure>\n");
    }

    private static void comparison(StringBuilder b, Comparison c) {
        b.append("<h3>Newest against previous run</h3><table><tr><th></th><th>right→wrong</th>")
                .append(
                        "<th>wrong→right</th><th>McNemar p</th><th>test</th><th>regression</th></tr>");
        mcnemarRow(b, "clean (" + c.metric() + ")", c.clean(), c.cleanRegression());
        mcnemarRow(b, "robust (" + c.metric() + ")", c.robust(), c.robustRegression());
        b.append("</table><p>")
                .append(c.paired())
                .append(" paired samples, <code>")
                .append(html(c.olderRunId()))
                .append("</code> → <code>")
                .append(html(c.newerRunId()))
                .append(
                        "</code>; regression when more samples went right→wrong than back and p &lt; ")
                .append(c.alpha())
                .append(" (report.regression-alpha).</p>\n");
    }

    private static void mcnemarRow(StringBuilder b, String name, McNemar m, boolean regression) {
        b.append("<tr><td>")
                .append(html(name))
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
}
