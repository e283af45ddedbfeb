package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The readers on s3a:// against a real S3 HTTP server (s3proxy, in memory) on 127.0.0.1. */
class S3aDatasetTest {
    private static final String BUCKET = "diffpure-data";
    private static final String ACCESS = "test-access";
    private static final String SECRET = "test-secret";

    private static S3Proxy proxy;
    private static Configuration conf;
    private static FileSystem fs;

    @BeforeAll
    static void startServer() throws Exception {
        TransientNio2BlobStore store = new TransientNio2BlobStore();
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
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        conf = new Configuration();
        conf.set("fs.s3a.endpoint", "http://127.0.0.1:" + proxy.getPort());
        conf.set("fs.s3a.path.style.access", "true");
        conf.set("fs.s3a.access.key", ACCESS);
        conf.set("fs.s3a.secret.key", SECRET);
        conf.set("fs.s3a.endpoint.region", "us-east-1");
        conf.set("fs.s3a.connection.ssl.enabled", "false");
        conf.set(
                "fs.s3a.aws.credentials.provider",
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        fs = new Path("s3a://" + BUCKET + "/").getFileSystem(conf);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (fs != null) {
            fs.close();
        }
        if (proxy != null) {
            proxy.stop();
        }
    }

    private static String put(String key, byte[] bytes) throws IOException {
        Path path = new Path("s3a://" + BUCKET + "/" + key);
        try (FSDataOutputStream out = fs.create(path, true)) {
            out.write(bytes);
        }
        return path.toString();
    }

    @Test
    void writesAndReadsBackASmallFile() throws IOException {
        byte[] bytes = DataFixtures.text("ILSVRC2012_val_00000001.JPEG 65\n");
        String path = put("small/val.txt", bytes);
        assertEquals(bytes.length, fs.getFileStatus(new Path(path)).getLen());
        try (InputStream in = fs.open(new Path(path))) {
            assertArrayEquals(bytes, in.readAllBytes());
        }
    }

    @Test
    void cifarBatchReadsFromS3aAndBadLabelsNameTheObject() throws IOException {
        String path = put("cifar10/test_batch.bin", DataFixtures.cifar(4, 11, 0));
        CifarBinaryDataset data = CifarBinaryDataset.open(path, conf);
        assertEquals(path, data.source());
        assertEquals(3, data.size());
        assertEquals(4, data.get(0).label());
        assertEquals(DataFixtures.cifarPixel(2, 2, 100) / 255f, data.get(2).image()[2048 + 100]);
        SampleResult bad = data.tryGet(1);
        assertTrue(bad.error().contains(path) && bad.error().contains("sample 1"), bad.error());
    }

    @Test
    void gzippedIdxReadsFromS3a() throws IOException {
        String images =
                put(
                        "fmnist/t10k-images-idx3-ubyte.gz",
                        DataFixtures.gzip(DataFixtures.idxImages(2, 3, 3)));
        String labels =
                put(
                        "fmnist/t10k-labels-idx1-ubyte.gz",
                        DataFixtures.gzip(DataFixtures.idxLabels(5, 6)));
        IdxDataset data = IdxDataset.open(images, labels, 10, conf);
        assertEquals(6, data.get(1).label());
        assertEquals((1 + 3 * 2 + 5 * 1) / 255f, data.get(1).image()[2 * 3 + 1]);
    }

    @Test
    void imageFolderReadsFromS3aAndMissingObjectsAreNamed() throws IOException {
        put("imagenet/val/b.JPEG", DataFixtures.jpeg(DataFixtures.smoothRgb(300, 256, 1)));
        String labels = put("imagenet/val.txt", DataFixtures.text("b.JPEG 7\na.JPEG 3\n"));
        ImageNetValDataset data =
                ImageNetValDataset.open("s3a://" + BUCKET + "/imagenet/val", labels, conf);
        assertEquals(7, data.get(1).label());
        assertEquals(3 * 224 * 224, data.get(1).image().length);
        DataException e = assertThrows(DataException.class, () -> data.get(0));
        assertTrue(
                e.getMessage().contains("s3a://" + BUCKET + "/imagenet/val/a.JPEG")
                        && e.getMessage().contains("not found"),
                e.getMessage());
        String missing = "s3a://" + BUCKET + "/nowhere/test_batch.bin";
        DataException e2 =
                assertThrows(DataException.class, () -> CifarBinaryDataset.open(missing, conf));
        assertTrue(e2.getMessage().contains(missing), e2.getMessage());
    }
}
