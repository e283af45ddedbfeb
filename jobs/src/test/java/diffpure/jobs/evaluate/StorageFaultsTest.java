package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigLoader;
import diffpure.experiment.Experiments;
import diffpure.jobs.store.ChunkMarkers;
import diffpure.jobs.store.ResultTables;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TablePaths;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;
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

/**
 * Storage that fails in the middle of a run: the S3 server (s3proxy) stopped for a few seconds, and
 * an output directory that refuses writes for a few seconds. Each run either retries through it or
 * stops with a message that says how to resume, and after the resume the tables equal an
 * undisturbed run's; a chunk is never read as done before its rows were counted. The S3
 * credentials, given through the session's config, appear in no log line, no runs-table column and
 * no printed report.
 */
class StorageFaultsTest {
    private static final String BUCKET = "diffpure-faults";
    private static final String ACCESS = "AKIAFAULTTESTACCESS7";
    private static final String SECRET = "faultTestSecret/Kx9mQ2vW8zLp4Rt6Yb1Nc3Hd5Jf7";
    @TempDir static Path tmp;
    private static TransientNio2BlobStore store;
    private static S3Proxy proxy;
    private static int port;
    private static SparkSession spark;
    private static String reference;

    /** Writes under a path fail while FAILING is set: a directory briefly unwritable. */
    public static final class FlakyFs extends RawLocalFileSystem {
        static final AtomicBoolean FAILING = new AtomicBoolean();
        static final java.util.concurrent.atomic.AtomicInteger REFUSED =
                new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public URI getUri() {
            return URI.create("flaky:///");
        }

        @Override
        public String getScheme() {
            return "flaky";
        }

        private static void check(org.apache.hadoop.fs.Path p) throws IOException {
            if (FAILING.get()) {
                REFUSED.incrementAndGet();
                throw new IOException("flaky: " + p + " is not writable right now");
            }
        }

        @Override
        public FSDataOutputStream create(
                org.apache.hadoop.fs.Path f,
                FsPermission permission,
                boolean overwrite,
                int bufferSize,
                short replication,
                long blockSize,
                Progressable progress)
                throws IOException {
            check(f);
            return super.create(
                    f, permission, overwrite, bufferSize, replication, blockSize, progress);
        }

        @Override
        public FSDataOutputStream create(
                org.apache.hadoop.fs.Path f,
                boolean overwrite,
                int bufferSize,
                short replication,
                long blockSize,
                Progressable progress)
                throws IOException {
            check(f);
            return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
        }

        @Override
        public boolean mkdirs(org.apache.hadoop.fs.Path f, FsPermission permission)
                throws IOException {
            check(f);
            return super.mkdirs(f, permission);
        }

        @Override
        public boolean rename(org.apache.hadoop.fs.Path src, org.apache.hadoop.fs.Path dst)
                throws IOException {
            check(dst);
            return super.rename(src, dst);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        store = new TransientNio2BlobStore();
        store.createContainer(BUCKET);
        proxy = startProxy(0);
        port = proxy.getPort();
        spark =
                SparkSession.builder()
                        .master("local[2,4]")
                        .appName("StorageFaultsTest")
                        .config("spark.ui.enabled", "false")
                        .config("spark.executor.heartbeatInterval", "2s")
                        .config("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:" + port)
                        .config("spark.hadoop.fs.s3a.path.style.access", "true")
                        .config("spark.hadoop.fs.s3a.access.key", ACCESS)
                        .config("spark.hadoop.fs.s3a.secret.key", SECRET)
                        .config("spark.hadoop.fs.s3a.endpoint.region", "us-east-1")
                        .config("spark.hadoop.fs.s3a.connection.ssl.enabled", "false")
                        .config(
                                "spark.hadoop.fs.s3a.aws.credentials.provider",
                                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider")
                        .config("spark.hadoop.fs.s3a.retry.interval", "500ms")
                        .config("spark.hadoop.fs.s3a.connection.establish.timeout", "2s")
                        .config("spark.hadoop.fs.flaky.impl", FlakyFs.class.getName())
                        .config("spark.hadoop.fs.flaky.impl.disable.cache", "true")
                        .getOrCreate();
        EvaluationJob.Outcome o =
                EvaluationJob.run(
                        spark,
                        config(tmp.resolve("reference").toUri().toString()),
                        TinyRuns.options());
        assertTrue(o.complete());
        reference = o.samplesPath();
    }

    @AfterAll
    static void stop() throws Exception {
        if (spark != null) {
            spark.stop();
        }
        if (proxy != null) {
            proxy.stop();
        }
    }

    private static S3Proxy startProxy(int at) throws Exception {
        S3Proxy p =
                S3Proxy.builder()
                        .blobStore(store)
                        .endpoint(URI.create("http://127.0.0.1:" + at))
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET)
                        .build();
        p.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(p.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + p.getState());
            }
            Thread.sleep(10);
        }
        return p;
    }

    /** 6 samples, one per task, 2 per chunk: 3 chunks. */
    private static ConfigLoader.Loaded config(String output) {
        List<String> s =
                new ArrayList<>(
                        TinyRuns.settings(
                                Path.of("unused"),
                                "run.chunk-samples=2",
                                "run.partition-samples=1",
                                "run.batch-samples=1"));
        s.add("run.output=" + output);
        return Experiments.load(null, s, Map.of(), new Properties());
    }

    /**
     * Runs a config with a fault started once chunk 0 is marked done; returns the log of the run
     * and, when it stopped, of its resume.
     */
    private static String runThroughFault(
            ConfigLoader.Loaded cfg,
            Runnable faultOn,
            Runnable faultOff,
            java.util.function.BooleanSupplier hit)
            throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        PrintStream err = System.err;
        PrintStream tee = new PrintStream(new Tee(err, log), true, StandardCharsets.UTF_8);
        System.setErr(tee);
        try {
            ChunkMarkers markers =
                    new ChunkMarkers(
                            TablePaths.runProgress(
                                    cfg.config().run().output(), cfg.config().runId()),
                            spark.sparkContext().hadoopConfiguration());
            CompletableFuture<EvaluationJob.Outcome> run =
                    CompletableFuture.supplyAsync(
                            () ->
                                    EvaluationJob.run(
                                            spark,
                                            cfg,
                                            new EvaluationJob.Options("test", -1, 2, out)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (!markers.isDone(0) && !run.isDone()) {
                assertTrue(System.nanoTime() < deadline, "chunk 0 never done");
                Thread.sleep(50);
            }
            assertFalse(run.isDone(), "the run ended before the fault");
            // The fault lasts at least 3 s and until it met the run's work (at most 60 s).
            faultOn.run();
            long on = System.nanoTime();
            while (System.nanoTime() - on < TimeUnit.SECONDS.toNanos(60)
                    && !(System.nanoTime() - on > TimeUnit.SECONDS.toNanos(3)
                            && hit.getAsBoolean())) {
                Thread.sleep(50);
            }
            faultOff.run();
            EvaluationJob.Outcome o;
            try {
                o = run.get(300, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException stopped) {
                String m = stopped.getCause().getMessage();
                out.println("STOPPED: " + m);
                assertTrue(m.contains("run the same command again to resume"), m);
                o = EvaluationJob.run(spark, cfg, new EvaluationJob.Options("test", -1, 2, out));
            }
            assertTrue(o.complete());
            assertSameAsReference(o.samplesPath(), cfg.config().runId());
            ResultTables.print(ResultTables.summarize(spark, o.samplesPath(), o.runId()), out);
            // The runs table, every column as text.
            Dataset<Row> runs = spark.read().parquet(o.runsPath());
            for (Row r : runs.select(asText(runs)).collectAsList()) {
                out.println("RUNS ROW " + r.mkString(" | "));
            }
        } finally {
            System.setErr(err);
            faultOff.run();
        }
        String text = log.toString(StandardCharsets.UTF_8);
        // Which way the run went through the fault (retried, or stopped and resumed).
        text.lines()
                .filter(l -> l.startsWith("run ") || l.startsWith("STOPPED"))
                .forEach(System.out::println);
        return text;
    }

    private static Column[] asText(Dataset<Row> d) {
        return java.util.Arrays.stream(d.columns())
                .map(c -> functions.col(c).cast("string"))
                .toArray(Column[]::new);
    }

    private static void assertSameAsReference(String samples, String runId) {
        Dataset<Row> d =
                spark.read().parquet(samples).where(functions.col("run_id").equalTo(runId));
        assertEquals(6, d.count(), "rows (lost?)");
        assertEquals(6, d.select("sample_id").distinct().count(), "distinct samples (duplicated?)");
        Dataset<Row> a = deterministic(spark.read().parquet(reference));
        Dataset<Row> b = deterministic(d);
        assertEquals(0, a.exceptAll(b).count(), "reference rows missing or different");
        assertEquals(0, b.exceptAll(a).count(), "rows not in the reference");
    }

    private static Dataset<Row> deterministic(Dataset<Row> d) {
        List<Column> cols = new ArrayList<>();
        for (String f : SamplesTable.SCHEMA.fieldNames()) {
            if (!SamplesTable.NONDETERMINISTIC.contains(f) && !f.equals("run_id")) {
                cols.add(functions.col(f));
            }
        }
        return d.select(cols.toArray(new Column[0]));
    }

    private static void assertNoCredentials(String log) {
        assertTrue(log.contains("RUNS ROW"), "the runs table was read");
        assertTrue(log.contains("accuracy over 6 samples"), "the report was printed");
        assertFalse(log.contains(SECRET), "the secret key leaked:\n" + log);
        assertFalse(log.contains(ACCESS), "the access key leaked:\n" + log);
    }

    @Test
    void theS3ServerStoppedForSecondsMidRun() throws Exception {
        ConfigLoader.Loaded cfg = config("s3a://" + BUCKET + "/results");
        // The server stays down until a task ended meanwhile (its write failed or waited), or 60 s.
        java.util.concurrent.atomic.AtomicInteger ended =
                new java.util.concurrent.atomic.AtomicInteger();
        AtomicBoolean down = new AtomicBoolean();
        org.apache.spark.scheduler.SparkListener watch =
                new org.apache.spark.scheduler.SparkListener() {
                    @Override
                    public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd e) {
                        if (down.get()) {
                            ended.incrementAndGet();
                        }
                    }
                };
        spark.sparkContext().addSparkListener(watch);
        String log =
                runThroughFault(
                        cfg,
                        () -> {
                            try {
                                down.set(true);
                                proxy.stop();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        () -> {
                            try {
                                if (!"STARTED".equals(proxy.getState())) {
                                    proxy = startProxy(port);
                                }
                                down.set(false);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        () -> ended.get() > 0);
        spark.sparkContext().removeSparkListener(watch);
        assertNoCredentials(log);
        // Nothing half-written is read as data: the tables equal the reference run's (checked in
        // runThroughFault). A write aborted while the server was down cannot delete its staging
        // directory; it stays hidden (a dot name, which Spark's readers skip) and holds no rows of
        // the table (docs/user-guide.md, storage faults).
        FileSystem fs =
                FileSystem.get(
                        URI.create("s3a://" + BUCKET + "/"),
                        spark.sparkContext().hadoopConfiguration());
        for (var f :
                fs.listStatus(
                        new org.apache.hadoop.fs.Path(
                                TablePaths.samples("s3a://" + BUCKET + "/results")))) {
            String name = f.getPath().getName();
            assertTrue(
                    name.startsWith("run_id=") || name.startsWith(".") || name.startsWith("_"),
                    "only partitions and hidden files under the table: " + f.getPath());
        }
    }

    @Test
    void anOutputDirectoryUnwritableForSecondsMidRun() throws Exception {
        ConfigLoader.Loaded cfg = config("flaky://" + tmp.resolve("flaky").toAbsolutePath());
        String log =
                runThroughFault(
                        cfg,
                        () -> FlakyFs.FAILING.set(true),
                        () -> FlakyFs.FAILING.set(false),
                        () -> FlakyFs.REFUSED.get() > 0);
        assertTrue(FlakyFs.REFUSED.get() > 0, "no write met the fault");
        assertNoCredentials(log);
    }

    /** An output stream writing to two. */
    private static final class Tee extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        Tee(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
