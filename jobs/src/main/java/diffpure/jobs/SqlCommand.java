package diffpure.jobs;

import diffpure.jobs.eval.ResultTables;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code diffpure sql "SELECT ..."}: Spark SQL over the samples and runs tables of an output. */
@Command(
        name = "sql",
        mixinStandardHelpOptions = true,
        description = "Run Spark SQL over the result tables (views `samples` and `runs`).")
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
            ResultTables.registerViews(spark, output);
            spark.sql(query).show(rows, 80);
        } finally {
            spark.stop();
        }
        return 0;
    }
}
