package diffpure.jobs.report;

import static diffpure.jobs.report.ReportText.interval;
import static diffpure.jobs.report.UntrustedText.html;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One run's section of the HTML report: accuracies by protocol (with its rescores), the run's
 * facts, and its gradient-masking findings as tables in words.
 */
final class HtmlRunSection {
    private HtmlRunSection() {}

    static void append(StringBuilder b, RunFigures f, List<RescoreFigures> rescores) {
        b.append("<h3>Run <code>")
                .append(html(f.runId()))
                .append("</code> (")
                .append(html(f.status()))
                .append(f.started() == null ? "" : ", started " + f.started().toInstant())
                .append(")</h3>\n");
        accuracies(b, f, rescores);
        b.append("<table>");
        for (Map.Entry<String, String> e : facts(f).entrySet()) {
            b.append("<tr><th>")
                    .append(html(e.getKey()))
                    .append("</th><td>")
                    .append(html(e.getValue()))
                    .append("</td></tr>");
        }
        b.append("</table>\n");
        findings(b, f);
    }

    private static void accuracies(StringBuilder b, RunFigures f, List<RescoreFigures> rescores) {
        b.append("<table><tr><th>protocol</th><th>clean</th><th>robust</th>");
        for (RescoreFigures r : rescores) {
            b.append("<th>rescored clean: ")
                    .append(html(r.rescoredAs()))
                    .append("</th><th>rescored robust</th>");
        }
        b.append("</tr>\n");
        for (String k : f.robust().keySet()) {
            b.append("<tr><td>")
                    .append(html(k))
                    .append("</td><td class=\"num\">")
                    .append(interval(f.clean().get(k)))
                    .append("</td><td class=\"num\">")
                    .append(interval(f.robust().get(k)))
                    .append("</td>");
            for (RescoreFigures r : rescores) {
                b.append("<td class=\"num\">")
                        .append(interval(r.clean().get(k)))
                        .append("</td><td class=\"num\">")
                        .append(interval(r.robust().get(k)))
                        .append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
    }

    private static Map<String, String> facts(RunFigures f) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("samples without error / rows", f.samples() + " / " + f.rows());
        facts.put(
                "intervals",
                f.stop() == null
                        ? "95% Wilson"
                        : String.format(
                                Locale.ROOT,
                                "95%% confidence sequence at the stop: stopped by %s after %d"
                                        + " samples of the plan order (%d model step-rows, stop"
                                        + " metric %s); rows beyond it, from chunks already"
                                        + " running, are in the tables but in no interval",
                                f.stop().reason(),
                                f.stop().samples(),
                                f.stop().stepRows(),
                                f.stop().metric()));
        facts.put(
                "error rows", f.errors() + (f.errorKinds().isEmpty() ? "" : " " + f.errorKinds()));
        facts.put("gradient modes", f.gradientModes());
        RunFigures.Cost cost = f.cost();
        facts.put("slot-seconds", String.format(Locale.ROOT, "%.1f", cost.seconds()));
        facts.put(
                "core-hours / GPU-hours",
                String.format(Locale.ROOT, "%.4f / %.4f", cost.coreHours(), cost.gpuHours()));
        facts.put(
                "seconds per sample", String.format(Locale.ROOT, "%.3f", cost.secondsPerSample()));
        facts.put(
                "gradient evaluations per sample",
                String.format(Locale.ROOT, "%.1f", cost.gradientsPerSample()));
        facts.put(
                "purifications per sample",
                String.format(Locale.ROOT, "%.1f", cost.purificationsPerSample()));
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
        return facts;
    }

    /** The run's checks and its rows' warnings, each as a table in words. */
    private static void findings(StringBuilder b, RunFigures f) {
        if (f.warnings().isEmpty() && f.sanity() == null) {
            return;
        }
        b.append("<p>Gradient-masking findings:</p>\n");
        if (f.sanity() != null) {
            b.append("<table class=\"findings\"><tr><th>check</th><th>measured</th>")
                    .append("<th>result</th></tr>\n");
            for (SanityFindings.Finding x : SanityFindings.of(f.sanity())) {
                b.append("<tr><td>")
                        .append(html(x.check()))
                        .append("</td><td>")
                        .append(html(x.measured()))
                        .append(
                                x.warning() == null
                                        ? "</td><td class=\"ok\">passed"
                                        : "</td><td class=\"bad\">" + html(x.warning()))
                        .append("</td></tr>\n");
            }
            b.append("</table>\n");
        }
        if (!f.warnings().isEmpty()) {
            b.append("<table class=\"warnings\"><tr><th>warning on rows (numbers as N)</th>")
                    .append("<th>rows</th></tr>\n");
            for (Map.Entry<String, Long> w : f.warnings().entrySet()) {
                b.append("<tr><td>")
                        .append(html(w.getKey()))
                        .append("</td><td class=\"num\">")
                        .append(w.getValue())
                        .append("</td></tr>\n");
            }
            b.append("</table>\n");
        }
    }
}
