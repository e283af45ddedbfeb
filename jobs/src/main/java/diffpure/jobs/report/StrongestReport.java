package diffpure.jobs.report;

import static diffpure.jobs.report.ReportText.interval;
import static diffpure.jobs.report.UntrustedText.html;
import static diffpure.jobs.report.UntrustedText.markdown;
import static diffpure.jobs.report.UntrustedText.markdownCode;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;

/**
 * The strongest-evidence section of the HTML, Markdown and JSON reports: per threat setting, the
 * fresh-vote figure with its interval beside the minimum over recorded verdicts, each attack's
 * newest run and the samples only it broke, the runs left out and the published figures.
 */
final class StrongestReport {
    /** What the figure is, in words (HTML and Markdown). */
    static final String WHAT =
            "Per sample, the candidate image with the fewest correct recorded votes across every"
                    + " run and rescore of the threat setting (ties: the later run), judged by K"
                    + " fresh votes (diffpure strongest). The minimum over recorded verdicts counts a"
                    + " sample broken when any run's majority was wrong: a minimum over noisy"
                    + " verdicts, biased low. 'Alone broke': samples that attack's recorded majority"
                    + " broke and no other attack's did.";

    private StrongestReport() {}

    static void appendHtml(StringBuilder b, ReportData d) {
        if (d.strongest().isEmpty()) {
            return;
        }
        b.append("<h2 id=\"strongest\">Strongest evidence per sample</h2>\n<p>")
                .append(html(WHAT))
                .append("</p>\n");
        for (StrongestFigures f : d.strongest()) {
            b.append("<h3>")
                    .append(html(f.threat()))
                    .append("</h3>\n<p>Pass <code>")
                    .append(html(f.passId()))
                    .append("</code>, ")
                    .append(f.samples())
                    .append(" samples, K = ")
                    .append(f.votes())
                    .append(" fresh votes: <b>robust (majority) ")
                    .append(interval(f.fresh().get("majority")))
                    .append("</b>; worst of K ")
                    .append(interval(f.fresh().get("worst")))
                    .append("; minimum over recorded verdicts ")
                    .append(interval(f.recordedMinimum()))
                    .append(". Excluded runs: ")
                    .append(excluded(f.excludedRuns(), id -> "<code>" + html(id) + "</code>"))
                    .append(".</p>\n<table><tr><th>attack</th><th>runs</th><th>newest run</th>")
                    .append("<th>robust (majority, newest run)</th><th>alone broke</th>")
                    .append("<th>strongest image of</th></tr>\n");
            for (StrongestFigures.AttackLine a : f.attacks()) {
                b.append("<tr><td>")
                        .append(html(a.attack()))
                        .append("</td><td class=\"num\">")
                        .append(a.runs())
                        .append("</td><td><code>")
                        .append(html(a.newestRunId()))
                        .append("</code></td><td class=\"num\">")
                        .append(interval(a.robust()))
                        .append("</td><td class=\"num\">")
                        .append(a.aloneBroke())
                        .append("</td><td class=\"num\">")
                        .append(a.chosen())
                        .append("</td></tr>\n");
            }
            b.append("</table>\n");
            for (String p : f.published()) {
                b.append("<p>Published: ").append(html(p)).append("</p>\n");
            }
        }
    }

    static void appendMarkdown(StringBuilder b, ReportData d) {
        for (StrongestFigures f : d.strongest()) {
            b.append("- strongest evidence ")
                    .append(markdownCode(f.passId()))
                    .append(", ")
                    .append(markdown(f.threat()))
                    .append(": robust (majority of ")
                    .append(f.votes())
                    .append(" fresh votes) ")
                    .append(interval(f.fresh().get("majority")))
                    .append("; minimum over recorded verdicts ")
                    .append(interval(f.recordedMinimum()))
                    .append(" (biased low); excluded runs: ")
                    .append(excluded(f.excludedRuns(), UntrustedText::markdownCode));
            for (StrongestFigures.AttackLine a : f.attacks()) {
                b.append("; ")
                        .append(markdown(a.attack()))
                        .append(" ")
                        .append(interval(a.robust()))
                        .append(", alone broke ")
                        .append(a.aloneBroke());
            }
            for (String p : f.published()) {
                b.append("; published: ").append(markdown(p));
            }
            b.append('\n');
        }
    }

    static JsonArray json(ReportData d) {
        JsonArray out = new JsonArray();
        for (StrongestFigures f : d.strongest()) {
            JsonObject o = new JsonObject();
            o.addProperty("pass_id", f.passId());
            o.addProperty("threat_setting", f.threat());
            o.add("excluded_runs", JsonReport.GSON.toJsonTree(f.excludedRuns()));
            o.addProperty("samples", f.samples());
            o.addProperty("votes", f.votes());
            o.add("fresh", JsonReport.intervals(f.fresh()));
            o.add(
                    "recorded_minimum",
                    JsonReport.intervals(java.util.Map.of("majority", f.recordedMinimum())));
            JsonArray attacks = new JsonArray();
            for (StrongestFigures.AttackLine a : f.attacks()) {
                JsonObject x = new JsonObject();
                x.addProperty("attack", a.attack());
                x.addProperty("runs", a.runs());
                x.addProperty("newest_run_id", a.newestRunId());
                x.add("robust", JsonReport.intervals(java.util.Map.of("majority", a.robust())));
                x.addProperty("alone_broke", a.aloneBroke());
                x.addProperty("chosen", a.chosen());
                attacks.add(x);
            }
            o.add("attacks", attacks);
            o.add("published", JsonReport.GSON.toJsonTree(f.published()));
            out.add(o);
        }
        return out;
    }

    private static String excluded(
            List<String> runs, java.util.function.UnaryOperator<String> code) {
        return runs.isEmpty() ? "none" : String.join(", ", runs.stream().map(code).toList());
    }
}
