package diffpure.jobs.cli;

import diffpure.jobs.strongest.StrongestJob;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code diffpure strongest}: each sample's strongest candidate image, judged by fresh votes. */
@Command(
        name = "strongest",
        mixinStandardHelpOptions = true,
        description = {
            "Per threat setting (data, models, purifier setting, norm and eps) of a run output,"
                    + " take each sample's candidate image with the fewest correct recorded votes"
                    + " across every run, rescore and attack (ties: the later run), and judge it"
                    + " by K fresh votes. Rows go to <run.output>/rescores (rescore_kind"
                    + " strongest); the view `strongest` and `diffpure report` read them. Rerun"
                    + " the same command to resume.",
            "Example: diffpure strongest --output target/demo-results --exclude demo-49074a5d9ce4"
        })
public final class StrongestCommand implements Callable<Integer> {
    @Option(
            names = "--output",
            required = true,
            paramLabel = "DIR",
            description = "run.output of the runs")
    String output;

    @Option(
            names = "--exclude",
            paramLabel = "RUN_ID",
            description = "a run whose images and votes are left out (repeatable)")
    List<String> exclude = new ArrayList<>();

    @Option(
            names = "--votes",
            defaultValue = "0",
            paramLabel = "K",
            description =
                    "fresh votes per image (default: the largest K of the chosen images' runs)")
    int votes;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "runtime.* settings (where the pass runs)")
    List<String> sets = new ArrayList<>();

    @Mixin MaxChunks maxChunks = new MaxChunks();

    @Override
    public Integer call() {
        SparkSession spark = SparkSession.builder().appName("diffpure strongest").getOrCreate();
        try {
            StrongestJob.run(
                    spark,
                    new StrongestJob.Request(
                            output,
                            exclude,
                            votes,
                            sets,
                            EvaluateCommand.gitSha(),
                            maxChunks.value()),
                    System.out);
        } finally {
            spark.stop();
        }
        return 0;
    }
}
