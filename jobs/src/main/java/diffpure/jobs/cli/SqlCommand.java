package diffpure.jobs.cli;

import diffpure.jobs.report.MetricViews;
import diffpure.jobs.report.StrongestView;
import diffpure.jobs.store.ResultTables;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code diffpure sql "SELECT ..."}: Spark SQL over the samples and runs tables of an output. */
@Command(
        name = "sql",
        mixinStandardHelpOptions = true,
        description =
                "Run Spark SQL over the result tables (views `samples`, `runs` and, when present,"
                        + " `rescores`), the accuracy metrics (views `sample_outcomes` and"
                        + " `accuracy`, as in the report and the notebooks) and the strongest"
                        + " evidence per sample (view `strongest`, after `diffpure strongest`).")
public final class SqlCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "QUERY", description = "the SQL query")
    String query;

    @Option(
            names = "--output",
            defaultValue = "target/demo-results",
            description = "run.output of the runs to query (default ${DEFAULT-VALUE})")
    String output;

    @Option(names = "--rows", defaultValue = "50", description = "rows to show")
    int rows;

    @Override
    public Integer call() {
        SparkSession spark = SparkSession.builder().appName("diffpure sql").getOrCreate();
        try {
            registerViews(spark, output);
            spark.sql(query).show(rows, 80);
        } finally {
            spark.stop();
        }
        return 0;
    }

    /**
     * The views a query sees: samples, runs, the metric views over samples, and rescores and
     * strongest where the output has a rescores table.
     */
    public static void registerViews(SparkSession spark, String output) {
        ResultTables.registerViews(spark, output);
        MetricViews.register(spark);
        StrongestView.register(spark, output);
    }
}
