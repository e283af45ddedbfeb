package diffpure.jobs.cli;

import diffpure.config.ConfigLoader;
import diffpure.config.ExperimentConfig;
import diffpure.experiment.Experiments;
import diffpure.jobs.evaluate.DryRun;
import diffpure.jobs.evaluate.EvaluationJob;
import diffpure.jobs.evaluate.InProcessShard;
import diffpure.jobs.store.ResultTables;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diffpure evaluate EXPERIMENT.conf}: the Spark evaluation job. The master comes from
 * spark-submit or {@code -Dspark.master} (bin/diffpure sets local[2] unless SPARK_MASTER is set).
 */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description =
                "Attack, purify and vote on an experiment's samples with Spark; write the samples"
                        + " and runs tables; rerun the same run id to resume.")
public final class EvaluateCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "EXPERIMENT",
            description = "experiment file (conf/experiments/*.conf); defaults alone when omitted")
    String experiment;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "override a config key (highest precedence; -Dkey=value works too)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--dry-run", description = "estimate the cost from a short timing; run nothing")
    boolean dryRun;

    @Option(
            names = "--slots",
            defaultValue = "2",
            description = "parallel task slots assumed by --dry-run (default ${DEFAULT-VALUE})")
    int slots;

    @Option(
            names = "--progress-seconds",
            defaultValue = "10",
            description = "seconds between progress lines (default ${DEFAULT-VALUE})")
    int progressSeconds;

    @Option(
            names = "--in-process-shard",
            paramLabel = "I/N",
            description =
                    "benchmark baseline: run shard I of N of the planned partitions in this"
                            + " process, without Spark, writing nothing")
    String shard;

    @Mixin MaxChunks maxChunks = new MaxChunks();

    @Option(names = "--banner", description = "a line printed above the results (bin/demo's)")
    String banner;

    @Option(
            names = "--report",
            description =
                    "then write the report of run.output (as `diffpure report`; its exit code:"
                            + " 0, 3 regression, 4 input missing)")
    boolean report;

    /**
     * Refuses a key whose result the samples table cannot hold yet, rather than dropping it: the
     * re-evaluated AutoAttack's share (the dry run estimates such a run all the same).
     *
     * @throws IllegalArgumentException naming attack.re-evaluations
     */
    static void refuseUnstored(ExperimentConfig c) {
        if (c.attack().reEvaluations() > 0) {
            throw new IllegalArgumentException(
                    "attack.re-evaluations: the samples table does not store the re-evaluated share"
                            + " yet (`diffpure attack --attack rand --re-evaluations "
                            + c.attack().reEvaluations()
                            + "` reports it beside fresh votes); leave it 0 (found "
                            + c.attack().reEvaluations()
                            + ")");
        }
    }

    @Override
    public Integer call() {
        ConfigLoader.Loaded loaded = Experiments.load(experiment, sets);
        ExperimentConfig c = loaded.config();
        if (dryRun) {
            org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
            DryRun.Estimate e = DryRun.measure(c, conf);
            DryRun.print(c, e, slots, System.out);
            System.out.println(
                    "  "
                            + diffpure.eval.StoppingRule.forRun(c)
                                    .plan(
                                            diffpure.data.Datasets.open(c.data(), conf).size(),
                                            (int) e.samples()));
            return 0;
        }
        refuseUnstored(c);
        if (shard != null) {
            String[] in = shard.split("/");
            if (in.length != 2) {
                throw new IllegalArgumentException(
                        "--in-process-shard must be I/N, found '" + shard + "'");
            }
            InProcessShard.run(
                    c, Integer.parseInt(in[0].trim()), Integer.parseInt(in[1].trim()), System.out);
            return 0;
        }
        SparkSession spark =
                SparkSession.builder().appName("diffpure " + c.experiment()).getOrCreate();
        try {
            return evaluate(spark, loaded, System.out);
        } finally {
            spark.stop();
        }
    }

    /**
     * Runs (or resumes) the parsed command's experiment on a session, as {@link #call} does on its
     * own; returns the exit code.
     */
    public int evaluate(SparkSession spark, PrintStream out) {
        return evaluate(spark, Experiments.load(experiment, sets), out);
    }

    private int evaluate(SparkSession spark, ConfigLoader.Loaded loaded, PrintStream out) {
        run(
                spark,
                loaded,
                new EvaluationJob.Options(gitSha(), maxChunks.value(), progressSeconds, out),
                banner);
        if (report) {
            out.println("writing the report of " + loaded.config().run().output() + " ...");
            return ReportCommand.run(spark, loaded, out);
        }
        return 0;
    }

    /** Runs an experiment and prints its accuracy table. */
    public static EvaluationJob.Outcome run(
            SparkSession spark,
            ConfigLoader.Loaded loaded,
            EvaluationJob.Options options,
            String banner) {
        EvaluationJob.Outcome o = EvaluationJob.run(spark, loaded, options);
        if (banner != null) {
            options.log().println(banner);
        }
        if (o.stop() != null) {
            // The intervals of a stopped run are its confidence sequences over the prefix the
            // rule decided on, in plan order; the tables may hold a few samples more.
            options.log().println("run " + o.runId() + ": " + o.stop().text());
            ResultTables.print(
                    new ResultTables.RunSummary(o.stop().summary(), 0, 0), options.log());
        } else {
            ResultTables.print(
                    ResultTables.summarize(spark, o.samplesPath(), o.runId()), options.log());
        }
        options.log()
                .printf(
                        "tables: %s and %s (run_id = '%s'); query them with"
                                + " bin/diffpure sql --output %s \"SELECT ...\"%n",
                        o.samplesPath(), o.runsPath(), o.runId(), loaded.config().run().output());
        return o;
    }

    /** DIFFPURE_GIT_SHA, else git rev-parse HEAD, else "unknown". */
    static String gitSha() {
        String env = System.getenv("DIFFPURE_GIT_SHA");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            Process p =
                    new ProcessBuilder("git", "rev-parse", "HEAD")
                            .redirectErrorStream(true)
                            .start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (p.waitFor(10, TimeUnit.SECONDS)
                    && p.exitValue() == 0
                    && out.matches("[0-9a-f]{40}")) {
                return out;
            }
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "unknown";
    }
}
