package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import diffpure.eval.ProtocolSummary;
import diffpure.eval.SampleOutcome;
import diffpure.jobs.store.ResultTables;
import diffpure.jobs.store.SamplesTable;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Benchmark, not part of the suite (run it by name): the driver's heap while summarising a
 * 5,000-sample synthetic samples table with CIFAR-sized perturbations (3 x 32 x 32 floats), when
 * the summary collects whole rows (as it did) and when it reads only {@link
 * ResultTables#SUMMARY_COLUMNS}:
 *
 * <pre>
 * mvn -o -B test -pl jobs -am -Dtest=SummaryHeapBench -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class SummaryHeapBench {
    @TempDir Path tmp;

    @Test
    void driverHeap() {
        SparkSession spark = TinyRuns.session("SummaryHeapBench");
        try {
            String samples = tmp.resolve("samples").toUri().toString();
            synthetic(spark, 5000, 3 * 32 * 32)
                    .write()
                    .partitionBy("run_id", "chunk")
                    .parquet(samples);
            // Warm up both paths (class loading, codegen) before measuring.
            wholeRows(spark, samples);
            ResultTables.summarize(spark, samples, "synthetic");
            long[] before = heap(() -> wholeRows(spark, samples));
            long[] after = heap(() -> ResultTables.summarize(spark, samples, "synthetic"));
            System.out.printf(
                    Locale.ROOT,
                    "summary heap, 5000 samples x 3072-float perturbations: whole rows: peak %d"
                            + " MiB, retained %d MiB; summary columns: peak %d MiB, retained %d"
                            + " MiB%n",
                    before[0] >> 20,
                    before[1] >> 20,
                    after[0] >> 20,
                    after[1] >> 20);
        } finally {
            spark.stop();
        }
    }

    /** The old summary: every column of every row to the driver, then to outcomes. */
    private static Object wholeRows(SparkSession spark, String samples) {
        List<SampleOutcome> ok =
                spark
                        .read()
                        .parquet(samples)
                        .where("run_id = 'synthetic' AND error IS NULL")
                        .orderBy("sample_id")
                        .collectAsList()
                        .stream()
                        .map(SamplesTable::toOutcome)
                        .toList();
        assertEquals(5000, ok.size());
        return List.of(ok, ProtocolSummary.of(ok));
    }

    /**
     * Peak heap (above the heap after a GC before the call) during the call, and heap retained by
     * its result after a GC.
     */
    private static long[] heap(java.util.function.Supplier<Object> call) {
        List<MemoryPoolMXBean> pools = new ArrayList<>();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                pools.add(p);
            }
        }
        System.gc();
        long base = used(pools);
        pools.forEach(MemoryPoolMXBean::resetPeakUsage);
        Object result = call.get();
        long peak = pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        System.gc();
        long retained = used(pools) - base;
        if (result.hashCode() == 42) {
            System.out.print(""); // keeps result reachable until here
        }
        return new long[] {peak - base, retained};
    }

    private static long used(List<MemoryPoolMXBean> pools) {
        return pools.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
    }

    /** A samples table of n rows with every column of the schema filled, perturbations random. */
    static Dataset<Row> synthetic(SparkSession spark, int n, int pixels) {
        List<Column> cols = new ArrayList<>();
        for (StructField f : SamplesTable.SCHEMA.fields()) {
            // Arrays keep their own element nullability (a cast may not tighten it).
            Column v = value(f, pixels);
            cols.add((f.dataType() instanceof ArrayType ? v : v.cast(f.dataType())).as(f.name()));
        }
        return spark.range(n).select(cols.toArray(new Column[0]));
    }

    private static Column value(StructField f, int pixels) {
        DataType t = f.dataType();
        switch (f.name()) {
            case "run_id":
                return functions.lit("synthetic");
            case "chunk":
                return functions.col("id").divide(500).cast(DataTypes.IntegerType);
            case "sample_id":
            case "sample_index":
                return functions.col("id");
            case "error":
            case "error_kind":
                return functions.lit(null);
            default:
                break;
        }
        if (t instanceof ArrayType a) {
            if (a.elementType() instanceof org.apache.spark.sql.types.StructType) {
                return functions.lit(null).cast(t); // budget_checkpoints: a run without them
            }
            if (a.elementType().equals(DataTypes.FloatType)) {
                return functions.array_repeat(functions.rand().cast(DataTypes.FloatType), pixels);
            }
            if (a.elementType().equals(DataTypes.StringType)) {
                return functions.array();
            }
            return functions.array_repeat(
                    functions.col("id").mod(10).cast(DataTypes.IntegerType), 10);
        }
        if (t.equals(DataTypes.StringType)) {
            return functions.lit("x");
        }
        if (t.equals(DataTypes.BooleanType)) {
            return functions.lit(false);
        }
        if (t.equals(DataTypes.TimestampType)) {
            return functions.current_timestamp();
        }
        return functions.col("id").mod(7);
    }
}
