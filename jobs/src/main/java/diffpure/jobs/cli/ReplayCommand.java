package diffpure.jobs.cli;

import diffpure.config.ConfigLoader;
import diffpure.eval.SampleOutcome;
import diffpure.jobs.evaluate.Replay;
import diffpure.jobs.store.RunConfigs;
import diffpure.jobs.store.SamplesTable;
import diffpure.jobs.store.TablePaths;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffpure replay}: rerun one sample of a run in-process from its row. */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = {
            "Rerun one sample of a finished run in-process from its row (the run's stored config,"
                    + " seed and batch) and compare the votes with the row.",
            "Exit codes: 0 the replay equals the row; 1 it differs; 2 error."
        })
public final class ReplayCommand implements Callable<Integer> {
    @Option(
            names = "--output",
            required = true,
            paramLabel = "DIR",
            description = "run.output of the run")
    String output;

    @Option(names = "--run", required = true, paramLabel = "RUN_ID", description = "the run id")
    String run;

    @Option(names = "--sample", required = true, paramLabel = "ID", description = "the sample id")
    long sample;

    @Override
    public Integer call() {
        SparkSession spark = SparkSession.builder().appName("diffpure replay").getOrCreate();
        try {
            return replay(spark, output, run, sample, System.out);
        } finally {
            spark.stop();
        }
    }

    /** Replays a sample and prints the row's and the replay's votes; 0 when they are equal. */
    public static int replay(
            SparkSession spark, String output, String runId, long sampleId, PrintStream out) {
        ConfigLoader.Loaded loaded = RunConfigs.load(spark, output, runId, List.of());
        List<Row> rows =
                spark.read()
                        .parquet(TablePaths.samples(output))
                        .where(functions.col("run_id").equalTo(runId))
                        .where(functions.col("sample_id").equalTo(sampleId))
                        .collectAsList();
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(
                    "run "
                            + runId
                            + " has no row for sample "
                            + sampleId
                            + " in "
                            + TablePaths.samples(output));
        }
        if (rows.size() > 1) {
            throw new IllegalArgumentException(
                    "run "
                            + runId
                            + " has "
                            + rows.size()
                            + " rows for sample "
                            + sampleId
                            + " (several attack settings); replay one setting's run");
        }
        Row row = rows.get(0);
        SampleOutcome o =
                Replay.sample(loaded.config(), row, spark.sparkContext().hadoopConfiguration());
        int[] rowClean = SamplesTable.CLEAN_VOTES.of(row);
        int[] rowAdv = SamplesTable.ADVERSARIAL_VOTES.of(row);
        boolean same =
                Arrays.equals(rowClean, o.votes().clean())
                        && Arrays.equals(rowAdv, o.votes().adversarial());
        out.printf("sample %d of run %s (label %d)%n", sampleId, runId, o.label());
        out.printf(
                "  row:    clean votes %s, adversarial votes %s%n",
                Arrays.toString(rowClean), Arrays.toString(rowAdv));
        out.printf(
                "  replay: clean votes %s, adversarial votes %s, linf %.6f%n",
                Arrays.toString(o.votes().clean()),
                Arrays.toString(o.votes().adversarial()),
                o.attack().perturbation().linf());
        out.println(same ? "replay identical to the row" : "replay DIFFERS from the row");
        return same ? 0 : 1;
    }
}
