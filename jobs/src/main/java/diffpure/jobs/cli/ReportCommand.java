package diffpure.jobs.cli;

import diffpure.config.ConfigLoader;
import diffpure.experiment.Experiments;
import diffpure.jobs.report.ReportData;
import diffpure.jobs.report.ReportInputException;
import diffpure.jobs.report.ReportJob;
import diffpure.jobs.report.ReportWriter;
import diffpure.jobs.report.UntrustedText;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diffpure report}: the nightly report over the samples and runs tables of a run output.
 * Exit codes a scheduler can branch on: {@link #OK}, {@link #REGRESSION}, {@link #INPUT_MISSING}
 * (and 2 for any other error, as every command).
 */
@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        description = {
            "Write the robustness report (HTML, Markdown, RobustBench-style JSON) of the runs under"
                    + " run.output, and compare the newest run of each setting with the previous"
                    + " one (McNemar).",
            "Exit codes: 0 report written, no regression; 3 report written, regression found;"
                    + " 4 input tables missing or unreadable; 2 any other error."
        })
public final class ReportCommand implements Callable<Integer> {
    /** Report written, no regression. */
    public static final int OK = 0;

    /** Report written, and a newer run regressed significantly against the previous one. */
    public static final int REGRESSION = 3;

    /** The samples or runs table is missing or unreadable (no report written). */
    public static final int INPUT_MISSING = 4;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "EXPERIMENT",
            description = "experiment file whose run.output and report.* keys to use (optional)")
    String experiment;

    @Option(
            names = "--output",
            paramLabel = "DIR",
            description = "run.output holding the samples and runs tables (any Hadoop path)")
    String output;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "where the report goes (report.dir; default <run.output>/report)")
    String dir;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "override a config key, e.g. report.regression-alpha=0.01")
    List<String> sets = new ArrayList<>();

    @Override
    public Integer call() {
        List<String> all = new ArrayList<>(sets);
        if (output != null) {
            all.add("run.output=" + output);
        }
        if (dir != null) {
            all.add("report.dir=" + dir);
        }
        ConfigLoader.Loaded loaded = Experiments.load(experiment, all);
        SparkSession spark = SparkSession.builder().appName("diffpure report").getOrCreate();
        try {
            return run(spark, loaded, System.out);
        } finally {
            spark.stop();
        }
    }

    /** A local path made absolute (a browser needs it); a URI (s3a://, hdfs://) as it is. */
    static String local(String path) {
        return path.contains(":") ? path : Path.of(path).toAbsolutePath().normalize().toString();
    }

    /** Computes and writes the report; returns the exit code. */
    public static int run(SparkSession spark, ConfigLoader.Loaded loaded, java.io.PrintStream out) {
        String runOutput = loaded.config().run().output();
        ReportData d;
        try {
            d = ReportJob.build(spark, runOutput, loaded.report());
        } catch (ReportInputException e) {
            System.err.println("error: " + e.getMessage());
            return INPUT_MISSING;
        }
        ReportWriter.Written w =
                ReportWriter.write(
                        d,
                        loaded.report().dirFor(runOutput),
                        spark.sparkContext().hadoopConfiguration());
        out.println(
                "report: "
                        + local(w.html())
                        + " (summary "
                        + local(w.markdown())
                        + ", RobustBench-style JSON in "
                        + local(w.dir())
                        + "/robustbench/)");
        for (ReportData.SettingReport s : d.settings()) {
            if (s.comparison() != null && s.comparison().regression()) {
                out.println(
                        "REGRESSION: "
                                + UntrustedText.visible(s.setting().label())
                                + ": run "
                                + UntrustedText.visible(s.comparison().newerRunId())
                                + " against "
                                + UntrustedText.visible(s.comparison().olderRunId()));
            }
        }
        return d.regression() ? REGRESSION : OK;
    }
}
