package diffpure.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import diffpure.config.ReportSettings;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TablePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tables whose strings (run ids, experiment, setting columns, warnings, status, sanity JSON) are
 * hostile: markup in text and attributes, script end tags, javascript: URLs, Markdown links and raw
 * HTML, SQL quotes, path separators and "..", control characters and a megabyte of text. The report
 * must show them as text (no script of theirs runs in Chromium, the Markdown renders no element of
 * theirs), keep its files inside the report directory and its tables inside run.output, and compare
 * runs whose ids hold SQL quotes correctly.
 */
class HostileStringsTest {
    @TempDir static Path tmp;
    private static SparkSession spark;
    private static final long DAY = 86_400_000L;

    /** Every payload marks the body when it runs. */
    static final String SCRIPT =
            "<script>document.body.setAttribute('data-pwned','script')</script>";

    static final String IMG =
            "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">";
    static final String ATTR =
            "' onmouseover='document.body.setAttribute(\"data-pwned\",\"attr\")' x='";
    static final String END_SCRIPT =
            "</script><script>document.body.setAttribute('data-pwned','end')</script>";
    static final String JS_URL = "javascript:document.body.setAttribute('data-pwned','url')";
    static final String MARKDOWN =
            "[click](javascript:alert(1)) ![img](http://127.0.0.1/x.png) <b>bold</b> **strong**"
                    + " _em_ `code` | cell <http://127.0.0.1/auto>";
    static final String SQL = "r1'; DROP TABLE samples; --";
    static final String PATH = "../../../etc/passwd";
    static final String CONTROL = "ctl\u0000\u0007\u001b[31mred\r\nline\u202eevil";
    static final String LONG = "y".repeat(1 << 20);

    @BeforeAll
    static void start() {
        spark = SyntheticTables.session("HostileStringsTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** The tables, the report, and what it wrote. */
    private static ReportWriter.Written report(Path root) {
        String out = root.resolve("tables").toUri().toString();
        String newer = "night-2" + IMG;
        List<Map<String, Object>> rows = new ArrayList<>();
        java.util.Random rnd = new java.util.Random(5);
        for (String run : List.of(SQL, newer)) {
            rows.addAll(
                    SyntheticTables.run(
                            run,
                            30,
                            5,
                            run.equals(SQL) ? 1 : 2,
                            m -> {
                                m.put("experiment", SCRIPT);
                                m.put("dataset", PATH);
                                m.put("classifier", IMG);
                                m.put("norm", MARKDOWN);
                                m.put("purifier", CONTROL);
                                m.put("score_model", JS_URL);
                                m.put("warnings", new String[] {END_SCRIPT, ATTR, MARKDOWN});
                                if (run.equals(newer)) {
                                    // A budget curve under the hostile run id and setting.
                                    SyntheticTables.setCheckpoints(
                                            m, new int[] {0, 4}, new int[] {5, 0}, 1, rnd);
                                }
                            }));
            rows.get(rows.size() - 1).put("warnings", new String[] {LONG});
        }
        for (String attack : List.of("a/b", "a-b", SCRIPT + LONG)) {
            rows.addAll(SyntheticTables.run(newer, 4, 5, 3, m -> m.put("attack", attack)));
        }
        SyntheticTables.writeSamples(spark, out, rows, SamplesTable.SCHEMA_VERSION);
        String staging = root.resolve("staging").toUri().toString();
        SyntheticTables.writeRun(spark, staging, SQL, DAY);
        SyntheticTables.writeRun(spark, staging, newer, 2 * DAY);
        String sanity =
                "{\"subset\": 8, \"checks\": [{\"name\": "
                        + json(SCRIPT)
                        + ", \"measured\": {\"note\": "
                        + json(MARKDOWN + CONTROL)
                        + "}, \"warning\": "
                        + json(END_SCRIPT)
                        + "}]}";
        spark.read()
                .parquet(TablePaths.runs(staging))
                .withColumn("status", functions.lit(IMG + CONTROL))
                .withColumn("sanity", functions.lit(sanity))
                .write()
                .mode(SaveMode.Overwrite)
                .partitionBy("run_id")
                .parquet(TablePaths.runs(out));
        ReportData d = ReportJob.build(spark, out, new ReportSettings("", 0.05, "majority"));
        return ReportWriter.write(
                d, root.resolve("report").toString(), spark.sparkContext().hadoopConfiguration());
    }

    private static String json(String s) {
        return new com.google.gson.Gson().toJson(s);
    }

    @Test
    void hostileStringsStayTextFilesStayInsideAndSqlQuotesAreData() throws IOException {
        Path root = tmp.resolve("hostile");
        ReportWriter.Written w = report(root);

        // Files: every report file under the report directory, one per setting, short names.
        Path dir = root.resolve("report").toRealPath();
        assertEquals(4, w.robustbench().size());
        Set<String> names = new HashSet<>();
        for (String p : w.robustbench()) {
            Path f = Path.of(p).toRealPath();
            assertTrue(f.startsWith(dir.resolve("robustbench")), p);
            assertTrue(f.getFileName().toString().length() <= UntrustedText.MAX_NAME + 5, p);
            names.add(f.getFileName().toString());
        }
        assertEquals(4, names.size(), "a/b and a-b stay two files: " + names);
        // Tables: the hostile run ids became partition directories inside run.output only.
        try (Stream<Path> all = Files.walk(root)) {
            all.forEach(
                    p ->
                            assertTrue(
                                    p.normalize().startsWith(root.normalize()),
                                    "outside the test dir: " + p));
        }
        assertEquals(
                Set.of("staging", "tables", "report"),
                Set.copyOf(list(root)),
                "nothing written beside run.output");

        // JSON keeps the exact strings (JSON escaping is Gson's).
        JsonObject all =
                JsonParser.parseString(Files.readString(Path.of(w.json()))).getAsJsonObject();
        Set<String> runIds = new HashSet<>();
        JsonObject compared = null;
        for (JsonElement s : all.getAsJsonArray("settings")) {
            for (JsonElement r : s.getAsJsonObject().getAsJsonArray("runs")) {
                runIds.add(r.getAsJsonObject().get("run_id").getAsString());
            }
            if (s.getAsJsonObject().has("comparison")) {
                compared = s.getAsJsonObject().getAsJsonObject("comparison");
            }
        }
        assertEquals(Set.of(SQL, "night-2" + IMG), runIds);
        // SQL: the run id with quotes is data: the two runs are paired on all 30 samples.
        assertEquals(SQL, compared.get("older_run_id").getAsString());
        assertEquals(30, compared.get("paired_samples").getAsInt());

        markdownRendersAsText(Files.readString(Path.of(w.markdown())));
        // Last: it is skipped where chromium is not installed.
        htmlRunsNoScriptOfTheData(Path.of(w.html()));
    }

    private static void markdownRendersAsText(String md) {
        var ext = List.of(TablesExtension.create());
        String html =
                HtmlRenderer.builder()
                        .extensions(ext)
                        .build()
                        .render(Parser.builder().extensions(ext).build().parse(md));
        for (String element : List.of("<script", "<img", "<a ", "<b>", "<em>", "<svg")) {
            assertFalse(html.contains(element), element + " rendered from the data:\n" + cut(html));
        }
        // No emphasis except the report's own "REGRESSION" marks.
        Matcher strong = Pattern.compile("<strong>(.*?)</strong>").matcher(html);
        while (strong.find()) {
            assertTrue(strong.group(1).startsWith("REGRESSION"), strong.group(1));
        }
        // One body row per setting, each with the header's 8 cells, and one per budget checkpoint
        // of the hostile run with its header's 7: '|' in data splits nothing.
        Matcher rows = Pattern.compile("<tr>(.*?)</tr>", Pattern.DOTALL).matcher(html);
        int body = 0;
        int budget = 0;
        while (rows.find()) {
            if (rows.group(1).contains("<td")) {
                if (rows.group(1).contains("of a run of 4")) {
                    budget++;
                    assertEquals(7, count(rows.group(1), "<td"), cut(rows.group(1)));
                } else {
                    body++;
                    assertEquals(8, count(rows.group(1), "<td"), cut(rows.group(1)));
                }
            }
        }
        assertEquals(4, body);
        assertEquals(2, budget);
        String text = html.replaceAll("<[^>]+>", "").replace("&lt;", "<").replace("&gt;", ">");
        text = text.replace("&quot;", "\"").replace("&amp;", "&");
        assertTrue(text.contains(MARKDOWN), "the Markdown payload shows as itself:\n" + cut(text));
        assertTrue(text.contains(PATH), cut(text));
        assertFalse(md.contains(LONG), "a megabyte is cut");
        assertFalse(md.contains("\u001b"), "control characters shown, not sent");
    }

    private static void htmlRunsNoScriptOfTheData(Path html) throws IOException {
        String page = Files.readString(html);
        assertFalse(page.contains(LONG), "a megabyte is cut");
        assertFalse(page.contains("\u0000") || page.contains("\u001b") || page.contains("\u202e"));
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.isExecutable(Path.of("/usr/bin/chromium")),
                "Debian's chromium is not installed (.ci/run installs it)");
        String dom = dumpDom(html);
        Matcher bodyTag = Pattern.compile("<body[^>]*>").matcher(dom);
        assertTrue(bodyTag.find(), cut(dom));
        assertFalse(bodyTag.group().contains("pwned"), "a payload ran: " + bodyTag.group());
        Matcher loaded =
                Pattern.compile("data-charts-loaded=\"(\\d+)/(\\d+)\"").matcher(bodyTag.group());
        assertTrue(loaded.find(), "the page's own script ran: " + bodyTag.group());
        assertEquals(loaded.group(2), loaded.group(1), "every chart decoded");
        int charts = Integer.parseInt(loaded.group(2));
        assertTrue(charts > 0);
        assertEquals(1, count(dom, "<script"), "only the page's own script");
        assertEquals(charts, count(dom, "<img"), "only the charts' images");
        assertFalse(
                Pattern.compile("<[a-zA-Z][^>]*\\son[a-z]+\\s*=").matcher(dom).find(),
                "an event-handler attribute from the data");
        Matcher href = Pattern.compile("href=\"([^\"]*)\"").matcher(dom);
        while (href.find()) {
            assertTrue(href.group(1).matches("#[A-Za-z0-9._-]+"), href.group(1));
        }
        assertTrue(dom.contains("&lt;script&gt;document.body.setAttribute"), "shown as text");
    }

    private static String dumpDom(Path html) throws IOException {
        Path profile = Files.createTempDirectory(tmp, "chromium");
        Process p =
                new ProcessBuilder(
                                "/usr/bin/chromium",
                                "--headless",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--virtual-time-budget=5000",
                                "--user-data-dir=" + profile,
                                "--dump-dom",
                                html.toUri().toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        assertEquals(0, p.exitValue(), cut(dom));
        return dom;
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static String cut(String s) {
        return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
    }

    @Test
    void untrustedTextEscapesEachContext() {
        assertEquals(
                "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;",
                UntrustedText.html("<a href=\"x\" title='y'>&"));
        assertEquals(
                "a\\u0000b\\u001b\\u202ec\\u2028",
                UntrustedText.visible("a\u0000b\u001b\u202ec\u2028"));
        assertEquals(
                "\\[x\\](javascript:y) \\*a\\* \\_b\\_ \\`c\\` \\| &lt;i&gt;",
                UntrustedText.markdown("[x](javascript:y) *a* _b_ `c` | <i>"));
        assertEquals("`night-1`", UntrustedText.markdownCode("night-1"));
        assertEquals("a\\`b", UntrustedText.markdownCode("a`b"));
        assertEquals("pgd-eot", UntrustedText.fileName("pgd-eot"));
        String up = UntrustedText.fileName("..");
        assertTrue(up.matches("\\.\\.-[0-9a-f]{16}"), up);
        assertFalse(UntrustedText.fileName("a/b").equals(UntrustedText.fileName("a-b")));
        assertTrue(UntrustedText.visible(LONG).length() < 2100);
    }
}
