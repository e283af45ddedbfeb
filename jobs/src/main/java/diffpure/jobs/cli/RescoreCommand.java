package diffpure.jobs.cli;

import diffpure.jobs.rescore.RescoreJob;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code diffpure rescore}: re-vote a finished run's stored perturbations under other settings. */
@Command(
        name = "rescore",
        mixinStandardHelpOptions = true,
        description = {
            "Re-evaluate the stored adversarial perturbations of a finished run with more votes,"
                    + " another purifier setting or another classifier, without re-attacking. Rows go"
                    + " to <run.output>/rescores linked by (source run id, sample, attack setting);"
                    + " rerun the same command to resume. `diffpure report` shows them beside the"
                    + " originals.",
            "Example: diffpure rescore --output target/demo-results --run demo-fc9a990cdd93"
                    + " --set eval.votes=20"
        })
public final class RescoreCommand implements Callable<Integer> {
    @Option(
            names = "--output",
            required = true,
            paramLabel = "DIR",
            description = "run.output of the source run")
    String output;

    @Option(
            names = "--run",
            required = true,
            paramLabel = "RUN_ID",
            description = "the source run id")
    String run;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description =
                    "what to change: eval.votes, purify.*, model.classifier, model.score-model, runtime.*")
    List<String> sets = new ArrayList<>();

    @Option(
            names = "--id",
            paramLabel = "RESCORE_ID",
            description = "rescore id (default: run id + hash of the settings)")
    String id;

    @Mixin MaxChunks maxChunks = new MaxChunks();

    @Override
    public Integer call() {
        SparkSession spark =
                SparkSession.builder().appName("diffpure rescore " + run).getOrCreate();
        try {
            RescoreJob.run(
                    spark,
                    new RescoreJob.Request(
                            output, run, sets, id, EvaluateCommand.gitSha(), maxChunks.value()),
                    System.out);
        } finally {
            spark.stop();
        }
        return 0;
    }
}
