package diffpure.jobs.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a report: {@code report.html} ({@link HtmlReport}), {@code report.md} ({@link
 * MarkdownReport}), {@code report.json} (every figure) and per setting {@code
 * robustbench/<setting>.json} (RobustBench model-card fields plus ours; {@link JsonReport}), with
 * the JSON Schema those files follow ({@code robustbench/entry.schema.json}). File names come from
 * setting slugs, which never hold a path separator, so nothing is written outside the directory.
 */
public final class ReportWriter {
    /** The schema of the per-setting JSON, shipped in the jar. */
    public static final String SCHEMA_RESOURCE = "/diffpure/report/robustbench-entry.schema.json";

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
        String html = base + "/report.html";
        String md = base + "/report.md";
        String json = base + "/report.json";
        put(conf, html, HtmlReport.of(d, Charts.all(d)));
        put(conf, md, MarkdownReport.of(d));
        put(conf, json, JsonReport.GSON.toJson(JsonReport.all(d)));
        List<String> rb = new ArrayList<>();
        for (ReportData.SettingReport s : d.settings()) {
            String p = base + "/robustbench/" + s.setting().slug() + ".json";
            put(conf, p, JsonReport.GSON.toJson(JsonReport.robustBench(s.newest(), d)));
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
