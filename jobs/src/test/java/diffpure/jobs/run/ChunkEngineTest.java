package diffpure.jobs.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.jobs.store.ChunkMarkers;
import diffpure.jobs.store.TableCommitter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk engine's commit protocol on a table of plain numbers (no models): each chunk is
 * written, counted and only then marked; marked chunks are never written again; a failure leaves
 * its chunk unmarked; the stop rule sees the committed prefix.
 */
class ChunkEngineTest {
    @TempDir Path tmp;
    private static SparkSession spark;

    private static final StructType CHUNK_SCHEMA = new StructType().add("v", DataTypes.LongType);

    @BeforeAll
    static void start() {
        spark =
                SparkSession.builder()
                        .master("local[2]")
                        .appName("ChunkEngineTest")
                        .config("spark.ui.enabled", "false")
                        .config("spark.sql.shuffle.partitions", "2")
                        .getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /**
     * Chunk k holds the numbers base + 0 .. base + k (k + 1 rows); a chunk in {@code fail} fails
     * while its rows are computed; {@code extraPlanned} rows more than it writes are planned.
     */
    private record Numbers(long base, Set<Integer> fail, long extraPlanned)
            implements ChunkEngine.ChunkWork {
        @Override
        public Dataset<Row> rows(int k) {
            if (fail.contains(k)) {
                throw new IllegalStateException("injected failure of chunk " + k);
            }
            return spark.range(k + 1)
                    .selectExpr("'t' AS run_id", k + " AS chunk", "id + " + base + " AS v");
        }

        @Override
        public long planned(int k) {
            return k + 1 + extraPlanned;
        }

        @Override
        public String describe(int k) {
            return "test chunk " + k;
        }
    }

    private ChunkEngine engine() {
        TableCommitter committer = TableCommitter.of(spark, table(), "run_id");
        ChunkMarkers markers =
                new ChunkMarkers(
                        tmp.resolve("_progress/t").toUri().toString(),
                        spark.sparkContext().hadoopConfiguration());
        return new ChunkEngine(
                spark,
                new ChunkEngine.Target("run t", "t", committer, CHUNK_SCHEMA, markers),
                "test-" + UUID.randomUUID());
    }

    private String table() {
        return tmp.resolve("table").toUri().toString();
    }

    private ChunkEngine.Result run(List<Integer> chunks, ChunkEngine.ChunkWork work) {
        ChunkEngine e = engine();
        List<Integer> todo = e.notDone(chunks);
        List<Integer> done = chunks.stream().filter(k -> !todo.contains(k)).toList();
        return e.run(todo, done, new ChunkEngine.Schedule(2, StopRule.NEVER), work, () -> {});
    }

    private long sum(int chunk) {
        Row r =
                spark.read()
                        .parquet(table())
                        .where("chunk = " + chunk)
                        .selectExpr("count(*)", "sum(v)")
                        .first();
        return r.getLong(0) == 0 ? -1 : r.getLong(1);
    }

    @Test
    void commitsEachChunkOnceAndNeverRewritesAMarkedOne() {
        assertEquals(2, run(List.of(0, 1), new Numbers(0, Set.of(), 0)).committed());
        // A later call writes only its own chunk: the committed ones keep their rows.
        assertEquals(1, run(List.of(0, 1, 2), new Numbers(100, Set.of(), 0)).committed());
        assertEquals(0, sum(0));
        assertEquals(1, sum(1));
        assertEquals(100 + 101 + 102, sum(2));
        // Everything marked: a rerun with other rows (or failing ones) writes nothing.
        ChunkEngine.Result again = run(List.of(0, 1, 2), new Numbers(1000, Set.of(0, 1, 2), 0));
        assertEquals(0, again.committed());
        assertEquals(0, sum(0));
        assertEquals(100 + 101 + 102, sum(2));
        assertEquals(List.of(), engine().notDone(List.of(0, 1, 2)));
    }

    @Test
    void aFailedChunkIsNotMarkedAndCancelsTheRun() {
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> run(List.of(0, 1), new Numbers(0, Set.of(1), 0)));
        assertTrue(
                e.getMessage().startsWith("run t stopped: chunk 1 failed: injected failure"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("run the same command again to resume"));
        assertEquals(List.of(1), engine().notDone(List.of(1)));
        // A resume writes it (and chunk 0, when the failure cancelled it first).
        run(List.of(0, 1), new Numbers(0, Set.of(), 0));
        assertEquals(List.of(), engine().notDone(List.of(0, 1)));
        assertEquals(1, sum(1));
    }

    @Test
    void aChunkWithFewerRowsThanPlannedIsNotMarked() {
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> run(List.of(2), new Numbers(0, Set.of(), 1)));
        assertTrue(e.getMessage().contains("chunk 2 of run t: 3 rows in "), e.getMessage());
        assertTrue(e.getMessage().contains(" but 4 planned"), e.getMessage());
        assertEquals(List.of(2), engine().notDone(List.of(2)));
    }

    @Test
    void aChunkTheWorkRefusesIsWrittenButNotMarked() {
        ChunkEngine.ChunkWork refuse =
                new ChunkEngine.ChunkWork() {
                    private final Numbers n = new Numbers(0, Set.of(), 0);

                    @Override
                    public Dataset<Row> rows(int k) {
                        return n.rows(k);
                    }

                    @Override
                    public long planned(int k) {
                        return n.planned(k);
                    }

                    @Override
                    public String describe(int k) {
                        return n.describe(k);
                    }

                    @Override
                    public boolean markable(int k, String dir) {
                        return k != 1;
                    }
                };
        ChunkEngine.Result r = run(List.of(0, 1, 2), refuse);
        assertEquals(3, r.committed());
        assertEquals(1, r.unmarked());
        assertEquals(1, sum(1));
        assertEquals(List.of(1), engine().notDone(List.of(0, 1, 2)));
    }

    @Test
    void theStopRuleSeesTheCommittedPrefixInPlanOrder() {
        run(List.of(0), new Numbers(0, Set.of(), 0));
        ChunkEngine e = engine();
        List<List<Integer>> seen = new java.util.ArrayList<>();
        StopRule twoMore =
                prefix -> {
                    seen.add(prefix.stream().map(StopRule.Committed::chunk).toList());
                    return prefix.size() >= 3;
                };
        ChunkEngine.Result r =
                e.run(
                        List.of(1, 2, 3, 4, 5),
                        List.of(0),
                        new ChunkEngine.Schedule(1, twoMore),
                        new Numbers(0, Set.of(), 0),
                        () -> {});
        assertTrue(r.stopped());
        assertEquals(2, r.committed());
        assertEquals(List.of(List.of(0, 1), List.of(0, 1, 2)), seen);
        assertEquals(List.of(3, 4, 5), engine().notDone(List.of(0, 1, 2, 3, 4, 5)));
        assertFalse(engine().notDone(List.of(3)).isEmpty());
    }
}
