package diffpure.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.jobs.Main;
import diffpure.jobs.store.TablePaths;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command of {@code bin/diffpure} (but {@code bench}, which measures) run end to end against
 * a real S3 server (s3proxy on 127.0.0.1) with the S3 credentials in the Hadoop configuration, as a
 * deployment gives them: a {@code core-site.xml} on the class path and {@code spark.hadoop.*}
 * settings. Each command runs once as it should (evaluate, rescore, strongest, replay, sql and
 * report with their data, tables and report on s3a://; attack, purify and model, which read local
 * files only, with the same configuration) and once failing (a missing object, file, run or
 * sample); the secret and the access key appear in no printed line, no log line (at the shipped
 * levels), no runs, samples or rescores column (stored configs included), no object the commands
 * wrote (reports included), and no error message. A command added to {@link Main} fails the test
 * until it is covered here. URIs holding credentials are refused before any command starts
 * (CredentialsInArgumentsTest) and in configs (ConfigSafetyTest).
 */
class CredentialsEveryCommandTest {
    private static final String BUCKET = "diffpure-credentials";
    private static final String ACCESS = "AKIAEVERYCOMMAND7QX2";
    private static final String SECRET = "everyCommandSecret/Hq3Zt8Lw1Vn5Pb7Rk2";
    private static final String OUT = "s3a://" + BUCKET + "/out";
    private static final String DATA = "s3a://" + BUCKET + "/data/";
    private static final Path ROOT = Path.of(System.getProperty("diffpure.repo.root", ".."));

    @TempDir static Path tmp;
    private static TransientNio2BlobStore store;
    private static S3Proxy proxy;
    private static ClassLoader previousLoader;
    private static final Map<String, String> previousProperties = new HashMap<>();

    private static Map<String, String> s3aSettings(int port) {
        Map<String, String> s = new java.util.LinkedHashMap<>();
        s.put("fs.s3a.endpoint", "http://127.0.0.1:" + port);
        s.put("fs.s3a.path.style.access", "true");
        s.put("fs.s3a.access.key", ACCESS);
        s.put("fs.s3a.secret.key", SECRET);
        s.put("fs.s3a.endpoint.region", "us-east-1");
        s.put("fs.s3a.connection.ssl.enabled", "false");
        s.put(
                "fs.s3a.aws.credentials.provider",
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        s.put("fs.s3a.attempts.maximum", "1");
        s.put("fs.s3a.retry.limit", "1");
        return s;
    }

    private static void setProperty(String key, String value) {
        previousProperties.putIfAbsent(key, System.getProperty(key));
        System.setProperty(key, value);
    }

    @BeforeAll
    static void start() throws Exception {
        // A session left by another test class would be reused by the commands without these
        // settings (and stopped by them).
        SparkSession.getDefaultSession().foreach(s -> stopSession(s));
        SparkSession.getActiveSession().foreach(s -> stopSession(s));
        store = new TransientNio2BlobStore();
        store.createContainer(BUCKET);
        proxy =
                S3Proxy.builder()
                        .blobStore(store)
                        .endpoint(URI.create("http://127.0.0.1:0"))
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET)
                        .build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            assertTrue(System.nanoTime() < deadline, "s3proxy did not start: " + proxy.getState());
            Thread.sleep(10);
        }
        Map<String, String> s3a = s3aSettings(proxy.getPort());
        // Route 1: core-site.xml on the class path, read by every new Hadoop Configuration (the
        // commands that read data without Spark, and Spark's own).
        Path site = Files.createDirectories(tmp.resolve("site"));
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<configuration>\n");
        s3a.forEach(
                (k, v) ->
                        xml.append("  <property><name>")
                                .append(k)
                                .append("</name><value>")
                                .append(v)
                                .append("</value></property>\n"));
        Files.writeString(site.resolve("core-site.xml"), xml.append("</configuration>\n"));
        previousLoader = Thread.currentThread().getContextClassLoader();
        Thread.currentThread()
                .setContextClassLoader(
                        new URLClassLoader(new URL[] {site.toUri().toURL()}, previousLoader));
        // Route 2: spark.hadoop.* settings, as spark-submit --conf gives them to every session.
        s3a.forEach((k, v) -> setProperty("spark.hadoop." + k, v));
        setProperty("spark.master", "local[2]");
        setProperty("spark.ui.enabled", "false");
        Configuration conf = new Configuration();
        assertEquals(SECRET, conf.get("fs.s3a.secret.key"), "core-site.xml not read");
        FileSystem fs = FileSystem.get(URI.create(DATA), conf);
        for (String f : List.of("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
            fs.copyFromLocalFile(
                    new org.apache.hadoop.fs.Path(
                            ROOT.resolve("models/demo/data").resolve(f).toAbsolutePath().toUri()),
                    new org.apache.hadoop.fs.Path(DATA + f));
        }
    }

    private static scala.runtime.BoxedUnit stopSession(SparkSession s) {
        s.stop();
        return scala.runtime.BoxedUnit.UNIT;
    }

    @AfterAll
    static void stop() throws Exception {
        previousProperties.forEach(
                (k, v) -> {
                    if (v == null) {
                        System.clearProperty(k);
                    } else {
                        System.setProperty(k, v);
                    }
                });
        if (previousLoader != null) {
            Thread.currentThread().setContextClassLoader(previousLoader);
        }
        FileSystem.closeAll();
        if (proxy != null) {
            proxy.stop();
        }
    }

    /**
     * What a command printed (its writers, System.out and System.err, where slf4j-simple writes
     * every log line of the project, Spark, Hadoop and the AWS SDK) and its exit code.
     */
    private record Ran(List<String> args, int code, String printed) {}

    private final List<Ran> ran = new ArrayList<>();

    private Ran run(String... args) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        PrintStream out = System.out;
        PrintStream err = System.err;
        StringWriter writers = new StringWriter();
        PrintWriter w = new PrintWriter(writers, true);
        int code;
        try {
            System.setOut(new PrintStream(new Tee(out, all), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(new Tee(err, all), true, StandardCharsets.UTF_8));
            code = Main.execute(args, w, w);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        Ran r = new Ran(List.of(args), code, writers + all.toString(StandardCharsets.UTF_8));
        ran.add(r);
        return r;
    }

    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] x, int off, int len) throws IOException {
            a.write(x, off, len);
            b.write(x, off, len);
        }
    }

    private static void assertNoCredentials(String where, String text) {
        for (String s :
                List.of(
                        SECRET,
                        URLEncoder.encode(SECRET, StandardCharsets.UTF_8),
                        SECRET.substring(SECRET.indexOf('/') + 1),
                        ACCESS)) {
            assertFalse(
                    text.contains(s), where + " shows the credential " + s.substring(0, 6) + "…");
        }
    }

    private static String[] models() {
        return new String[] {
            "--score-model",
            ROOT.resolve("models/demo/eps.pt").toString(),
            "--classifier",
            ROOT.resolve("models/demo/classifier.pt").toString()
        };
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static String[] evaluate(String images) {
        List<String> a = new ArrayList<>(List.of("evaluate"));
        for (String s :
                List.of(
                        "experiment.name=credentials",
                        "run.output=" + OUT,
                        "run.chunk-samples=2",
                        "run.partition-samples=1",
                        "run.batch-samples=1",
                        "data.images=" + images,
                        "data.labels=" + DATA + "t10k-labels-idx1-ubyte.gz",
                        "data.count=2",
                        "model.score-model=" + ROOT.resolve("models/demo/eps.pt"),
                        "model.classifier=" + ROOT.resolve("models/demo/classifier.pt"),
                        "purify.t-star=0.01",
                        "purify.dt=0.005",
                        "attack.name=pgd-eot",
                        "attack.iterations=1",
                        "attack.eot=2",
                        "eval.votes=2",
                        "sanity.subset=0",
                        "runtime.device=cpu",
                        "runtime.torch-threads=1")) {
            a.add("--set");
            a.add(s);
        }
        return a.toArray(new String[0]);
    }

    @Test
    void noCommandShowsACredentialFromTheHadoopConfiguration() throws Exception {
        String images = DATA + "t10k-images-idx3-ubyte.gz";
        Ran evaluated = run(evaluate(images));
        assertEquals(0, evaluated.code(), evaluated.printed());
        Matcher id = Pattern.compile("run_id = '([^']+)'").matcher(evaluated.printed());
        assertTrue(id.find(), evaluated.printed());
        String runId = id.group(1);
        Ran failedEvaluate = run(evaluate(DATA + "missing-images.gz"));
        assertNotEquals(0, failedEvaluate.code());
        assertTrue(
                failedEvaluate.printed().contains("missing-images.gz"), failedEvaluate.printed());

        Ran sql =
                run(
                        "sql",
                        "--output",
                        OUT,
                        "--rows",
                        "1",
                        "SELECT sample_id FROM samples ORDER BY sample_id");
        assertEquals(0, sql.code(), sql.printed());
        Matcher sample = Pattern.compile("\\|\\s*(\\d+)\\s*\\|").matcher(sql.printed());
        assertTrue(sample.find(), sql.printed());
        assertEquals(2, run("sql", "--output", OUT, "SELECT * FROM no_such_view").code());
        assertEquals(0, run("sql", "--output", OUT, "SELECT * FROM runs").code());

        Ran rescored = run("rescore", "--output", OUT, "--run", runId, "--set", "eval.votes=3");
        assertEquals(0, rescored.code(), rescored.printed());
        assertEquals(2, run("rescore", "--output", OUT, "--run", "no-such-run").code());
        Ran strongest = run("strongest", "--output", OUT);
        assertEquals(0, strongest.code(), strongest.printed());
        assertEquals(2, run("strongest", "--output", OUT, "--set", "purify.t-star=0.02").code());

        Ran replayed = run("replay", "--output", OUT, "--run", runId, "--sample", sample.group(1));
        assertEquals(0, replayed.code(), replayed.printed());
        assertEquals(
                2, run("replay", "--output", OUT, "--run", runId, "--sample", "999999999").code());

        Ran report = run("report", "--output", OUT);
        assertEquals(0, report.code(), report.printed());
        assertEquals(
                ReportCommand.INPUT_MISSING,
                run("report", "--output", "s3a://" + BUCKET + "/empty").code());

        // attack, purify and model read local files only; they run with the same configuration
        String localImages = ROOT.resolve("models/demo/data/t10k-images-idx3-ubyte.gz").toString();
        String labels = ROOT.resolve("models/demo/data/t10k-labels-idx1-ubyte.gz").toString();
        Ran attack =
                run(
                        concat(
                                concat(new String[] {"attack"}, models()),
                                "--images",
                                localImages,
                                "--labels",
                                labels,
                                "--epsilon",
                                "8/255",
                                "--iterations",
                                "1",
                                "--n",
                                "2",
                                "--batch",
                                "2",
                                "--threads",
                                "1"));
        assertEquals(0, attack.code(), attack.printed());
        assertEquals(
                2,
                run(concat(
                                concat(new String[] {"attack"}, models()),
                                "--images",
                                DATA + "missing.gz",
                                "--labels",
                                labels,
                                "--epsilon",
                                "8/255",
                                "--n",
                                "2"))
                        .code());
        Ran purify =
                run(
                        concat(
                                concat(new String[] {"purify"}, models()),
                                "--images",
                                localImages,
                                "--labels",
                                labels,
                                "--n",
                                "2",
                                "--batch",
                                "2",
                                "--threads",
                                "1"));
        assertEquals(0, purify.code(), purify.printed());
        assertEquals(
                2,
                run(concat(
                                concat(new String[] {"purify"}, models()),
                                "--images",
                                DATA + "missing.gz",
                                "--labels",
                                labels,
                                "--n",
                                "2"))
                        .code());
        Ran verified =
                run(
                        "model",
                        "verify",
                        ROOT.resolve("models/demo/classifier.pt").toString(),
                        "--threads",
                        "1");
        assertEquals(0, verified.code(), verified.printed());
        assertNotEquals(0, run("model", "verify", tmp.resolve("missing.pt").toString()).code());

        // Every command but bench ran, the way a user runs it.
        Set<String> commands = new TreeSet<>(new CommandLine(new Main()).getSubcommands().keySet());
        commands.remove("bench");
        Set<String> covered = new TreeSet<>();
        ran.forEach(r -> covered.add(r.args().get(0)));
        assertEquals(commands, covered, "a command without a credentials check");

        for (Ran r : ran) {
            assertNoCredentials(
                    String.join(" ", r.args()) + " (exit " + r.code() + ")", r.printed());
        }

        // The tables, every column as text: stored configs, errors, warnings.
        SparkSession spark = SparkSession.builder().appName("credentials-tables").getOrCreate();
        try {
            int rows = 0;
            boolean storedOutput = false;
            for (String table :
                    List.of(
                            TablePaths.samples(OUT),
                            TablePaths.runs(OUT),
                            TablePaths.rescores(OUT))) {
                Dataset<Row> d = spark.read().parquet(table);
                Column[] text =
                        java.util.Arrays.stream(d.columns())
                                .map(c -> functions.col(c).cast("string"))
                                .toArray(Column[]::new);
                for (Row r : d.select(text).collectAsList()) {
                    String row = r.mkString(" | ");
                    assertNoCredentials(table, row);
                    storedOutput |= row.contains("t-star") && row.contains(OUT);
                    rows++;
                }
            }
            assertTrue(rows >= 5, "rows read: " + rows);
            assertTrue(storedOutput, "no stored config read");
        } finally {
            spark.stop();
        }

        // Every object the commands wrote: reports, tables' files, progress markers.
        int objects = 0;
        boolean reportSeen = false;
        FileSystem fs = FileSystem.get(URI.create(OUT), new Configuration());
        org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> files =
                fs.listFiles(new org.apache.hadoop.fs.Path(OUT), true);
        while (files.hasNext()) {
            org.apache.hadoop.fs.Path f = files.next().getPath();
            byte[] bytes;
            try (InputStream in = fs.open(f)) {
                bytes = in.readAllBytes();
            }
            assertNoCredentials(f.toString(), new String(bytes, StandardCharsets.ISO_8859_1));
            reportSeen |= f.getName().equals("report.html");
            objects++;
        }
        assertTrue(reportSeen, "no report.html written");
        assertTrue(objects > 10, "objects: " + objects);
    }
}
