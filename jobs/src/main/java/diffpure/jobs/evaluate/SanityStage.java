package diffpure.jobs.evaluate;

import diffpure.attack.Attack;
import diffpure.attack.Attacks;
import diffpure.config.ExperimentConfig;
import diffpure.jobs.run.RunPlan;
import diffpure.jobs.run.SampleRef;
import diffpure.jobs.run.TaskSpec;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The gradient-masking stage of an evaluation, before its chunks. */
final class SanityStage {
    private SanityStage() {}

    /**
     * The gradient-masking checks of a run: those a previous call recorded, else Spark tasks run
     * them now (before the chunks, so that every row of the subset carries their warnings), with a
     * progress line every progressSeconds.
     *
     * @param spec the run's spec, resolved on the driver
     */
    static SanityTask.Result run(
            SparkSession spark,
            TaskSpec spec,
            RunPlan plan,
            Row previous,
            int progressSeconds,
            PrintStream log) {
        ExperimentConfig c = spec.config();
        if (c.sanity().subset() == 0) {
            return SanityTask.Result.NONE;
        }
        List<SampleRef> subset = plan.firstValid(c.sanity().subset());
        if (previous != null && previous.getAs("sanity") != null) {
            return SanityTask.Result.parse(previous.getAs("sanity"), subset);
        }
        // One task that reruns the attack several times: say so, or the run looks stalled.
        log.printf(
                Locale.ROOT,
                "gradient-masking checks on %d samples first (sanity.subset; %d tasks: the"
                        + " attack, at %sx its budget, at %sx eps, unbounded, and Square with"
                        + " %d queries) ...%n",
                subset.size(),
                SanityTask.taskCount(c),
                fmt(c.sanity().iterationFactor()),
                fmt(c.sanity().epsFactor()),
                c.sanity().squareQueries());
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        String description = "diffpure " + c.runId() + " gradient-masking checks";
        SanityTask.Rows rows = SanityTask.Rows.register(jsc);
        Attack attack = Attacks.build(c.attack());
        long[] bound =
                DryRun.sanityRows(
                        attack,
                        c.attack().eot(),
                        c.sanity(),
                        c.attack().gradientMode().equals("adjoint"));
        SanityProgress progress =
                new SanityProgress(
                        description,
                        rows,
                        subset.size() * bound[0],
                        subset.size() * bound[1],
                        SanityTask.taskCount(c),
                        log);
        spark.sparkContext().addSparkListener(progress);
        ScheduledExecutorService ticker =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "diffpure-checks-progress");
                            t.setDaemon(true);
                            return t;
                        });
        ticker.scheduleAtFixedRate(
                progress::print, progressSeconds, progressSeconds, TimeUnit.SECONDS);
        String json;
        try {
            jsc.setJobDescription(description);
            json = SanityTask.run(jsc, spec, attack, subset, rows);
        } finally {
            jsc.setJobDescription(null);
            ticker.shutdownNow();
            spark.sparkContext().removeSparkListener(progress);
        }
        SanityTask.Result r = SanityTask.Result.parse(json, subset);
        printOutcome(log, subset.size(), progress.seconds(), r);
        return r;
    }

    /** The checks' line: their time, warnings and the adjoint's smallest cosine. */
    private static void printOutcome(
            PrintStream log, int samples, double seconds, SanityTask.Result r) {
        log.printf(
                Locale.ROOT,
                "gradient-masking checks on %d samples (%.0f s): %s%s%n",
                samples,
                seconds,
                r.warnings().isEmpty() ? "no warning" : String.join("; ", r.warnings()),
                r.adjointCosine().isEmpty()
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                "; adjoint gradients against exact: smallest cosine %.4f",
                                r.adjointCosine().values().stream()
                                        .mapToDouble(Double::doubleValue)
                                        .min()
                                        .getAsDouble()));
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
