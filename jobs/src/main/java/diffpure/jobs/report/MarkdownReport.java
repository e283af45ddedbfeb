package diffpure.jobs.report;

import static diffpure.jobs.report.ReportText.interval;
import static diffpure.jobs.report.UntrustedText.markdown;
import static diffpure.jobs.report.UntrustedText.markdownCode;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code report.md}: a short summary for chat or e-mail. Every string from the tables is escaped
 * ({@link UntrustedText#markdown}), so it renders as itself: no markup, link, image or raw HTML.
 */
final class MarkdownReport {
    private MarkdownReport() {}

    /** The summary. */
    static String of(ReportData d) {
        StringBuilder b = new StringBuilder();
        b.append("# diffpure-spark robustness report\n\n");
        b.append(
                d.regression()
                        ? "**REGRESSION FOUND** (McNemar, see below)\n\n"
                        : "No regression found.\n\n");
        b.append("Tables: ")
                .append(markdownCode(d.output()))
                .append(" (samples schema ")
                .append(d.samplesSchemaVersions())
                .append(", runs schema ")
                .append(d.runsSchemaVersions())
                .append("); generated ")
                .append(markdown(d.generated()))
                .append(". Accuracies: majority of K votes, ")
                .append(ReportText.INTERVALS)
                .append(".\n\n");
        b.append(
                "| setting | newest run | n | errors | clean | robust | worst of K | vs previous |\n");
        b.append("|---|---|---|---|---|---|---|---|\n");
        for (ReportData.SettingReport s : d.settings()) {
            settingRow(b, s);
        }
        b.append('\n');
        maskingWarnings(b, d);
        BudgetCurves.appendMarkdown(b, d);
        for (ReportData.SettingReport s : d.settings()) {
            for (RescoreFigures r : d.rescoresOf(s.newest())) {
                b.append("- rescore ")
                        .append(markdownCode(r.rescoreId()))
                        .append(" of ")
                        .append(markdownCode(r.sourceRunId()))
                        .append(" as ")
                        .append(markdown(r.rescoredAs()))
                        .append(": robust ")
                        .append(interval(r.robust().get("majority")))
                        .append(" (original ")
                        .append(interval(s.newest().robustMajority()))
                        .append(")\n");
            }
        }
        StrongestReport.appendMarkdown(b, d);
        return b.toString();
    }

    /** The newest runs' gradient-masking checks that fired, in words; nothing when none did. */
    private static void maskingWarnings(StringBuilder b, ReportData d) {
        List<String> lines = new ArrayList<>();
        for (ReportData.SettingReport s : d.settings()) {
            RunFigures f = s.newest();
            if (f.sanity() == null) {
                continue;
            }
            for (SanityFindings.Finding x : SanityFindings.of(f.sanity())) {
                if (x.warning() != null) {
                    lines.add(
                            "- "
                                    + markdown(s.setting().label())
                                    + ", run "
                                    + markdownCode(f.runId())
                                    + ": "
                                    + markdown(x.check())
                                    + ": "
                                    + markdown(x.warning())
                                    + "\n");
                }
            }
        }
        if (!lines.isEmpty()) {
            b.append("Gradient-masking checks that fired:\n\n");
            lines.forEach(b::append);
            b.append('\n');
        }
    }

    private static void settingRow(StringBuilder b, ReportData.SettingReport s) {
        RunFigures f = s.newest();
        Comparison c = s.comparison();
        String vs = ReportText.comparison(c, UntrustedText::markdownCode);
        b.append("| ")
                .append(markdown(s.setting().label()))
                .append(" | ")
                .append(markdownCode(f.runId()))
                .append(" | ")
                .append(f.samples())
                .append(" | ")
                .append(f.errors())
                .append(" | ")
                .append(interval(f.clean().get("majority")))
                .append(" | ")
                .append(interval(f.robustMajority()))
                .append(ReportText.intervalNote(f))
                .append(" | ")
                .append(interval(f.robust().get("worst")))
                .append(" | ")
                .append(c != null && c.regression() ? "**REGRESSION** " + vs : vs)
                .append(" |\n");
    }
}
