package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.config.ConfigLoader;
import diffpure.experiment.Experiments;
import diffpure.jobs.store.ResultTables;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job with its models and result tables on s3a://, against a real S3 HTTP server (s3proxy, in
 * memory) on 127.0.0.1: remote models are copied to the local cache and checked, the tables are
 * written with Spark's writers and read back with Spark SQL.
 */
class S3aTablesTest {
    private static final String BUCKET = "diffpure-results";
    private static S3Proxy proxy;
    private static SparkSession spark;

    @BeforeAll
    static void start() throws Exception {
        TransientNio2BlobStore store = new TransientNio2BlobStore();
        store.createContainer(BUCKET);
        proxy =
                S3Proxy.builder()
                        .blobStore(store)
                        .endpoint(URI.create("http://127.0.0.1:0"))
                        .awsAuthentication(
                                AuthenticationType.AWS_V2_OR_V4, "test-access", "test-secret")
                        .build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        spark =
                SparkSession.builder()
                        .master("local[2]")
                        .appName("S3aTablesTest")
                        .config("spark.ui.enabled", "false")
                        .config(
                                "spark.hadoop.fs.s3a.endpoint",
                                "http://127.0.0.1:" + proxy.getPort())
                        .config("spark.hadoop.fs.s3a.path.style.access", "true")
                        .config("spark.hadoop.fs.s3a.access.key", "test-access")
                        .config("spark.hadoop.fs.s3a.secret.key", "test-secret")
                        .config("spark.hadoop.fs.s3a.endpoint.region", "us-east-1")
                        .config("spark.hadoop.fs.s3a.connection.ssl.enabled", "false")
                        .config(
                                "spark.hadoop.fs.s3a.aws.credentials.provider",
                                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider")
                        .getOrCreate();
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

    @Test
    void tablesAndModelsOnS3a() throws Exception {
        var conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = FileSystem.get(URI.create("s3a://" + BUCKET + "/"), conf);
        for (String f : List.of("eps.pt", "eps.json", "classifier.pt", "classifier.json")) {
            fs.copyFromLocalFile(
                    new org.apache.hadoop.fs.Path(
                            TinyRuns.ROOT
                                    .resolve("models/demo")
                                    .resolve(f)
                                    .toAbsolutePath()
                                    .toUri()),
                    new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/models/" + f));
        }
        Path cache = Files.createTempDirectory("diffpure-model-cache");
        ConfigLoader.Loaded base = TinyRuns.config(Path.of("unused"));
        ConfigLoader.Loaded cfg =
                Experiments.load(
                        null,
                        List.of(
                                "experiment.name=s3a",
                                "run.output=s3a://" + BUCKET + "/results",
                                "run.chunk-samples=2",
                                "run.partition-samples=1",
                                "run.batch-samples=1",
                                "data.images=" + base.config().data().images(),
                                "data.labels=" + base.config().data().labels(),
                                "data.count=2",
                                "model.score-model=s3a://" + BUCKET + "/models/eps.pt",
                                "model.classifier=s3a://" + BUCKET + "/models/classifier.pt",
                                "runtime.model-cache-dir=" + cache,
                                "purify.t-star=0.01",
                                "purify.dt=0.002",
                                "attack.iterations=1",
                                "attack.eot=2",
                                "eval.votes=2",
                                "runtime.device=cpu",
                                "runtime.torch-threads=1"),
                        Map.of(),
                        new Properties());
        EvaluationJob.Outcome o = EvaluationJob.run(spark, cfg, TinyRuns.options());
        assertTrue(o.complete());
        assertTrue(o.samplesPath().startsWith("s3a://"));
        ResultTables.registerViews(spark, cfg.config().run().output());
        Row r =
                spark.sql(
                                "SELECT count(*) AS n, count(DISTINCT sample_id) AS d, max(error)"
                                        + " AS e FROM samples WHERE run_id = 's3a-"
                                        + cfg.config().configHash().substring(0, 12)
                                        + "'")
                        .first();
        assertEquals(2L, r.<Long>getAs("n"));
        assertEquals(2L, r.<Long>getAs("d"));
        assertTrue(r.isNullAt(r.fieldIndex("e")));
        assertEquals("done", spark.sql("SELECT status FROM runs").first().getString(0));
        // The remote models were copied once to the local cache (sha256-checked when loaded).
        try (var s = Files.walk(cache)) {
            assertEquals(
                    4,
                    s.filter(Files::isRegularFile)
                            .filter(p -> !p.toString().endsWith(".part"))
                            .count());
        }
        // Credentials never reach the runs table.
        assertTrue(
                !spark.sql("SELECT config FROM runs").first().getString(0).contains("test-secret"));
    }
}
