package diffpure.jobs;

import diffpure.config.ConfigLoader;
import diffpure.jobs.bench.BenchCommand;
import diffpure.jobs.cli.AttackCommand;
import diffpure.jobs.cli.EvaluateCommand;
import diffpure.jobs.cli.ModelCommand;
import diffpure.jobs.cli.PurifyCommand;
import diffpure.jobs.cli.ReplayCommand;
import diffpure.jobs.cli.ReportCommand;
import diffpure.jobs.cli.RescoreCommand;
import diffpure.jobs.cli.SqlCommand;
import diffpure.jobs.cli.StrongestCommand;
import diffpure.torch.NativeWork;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/diffpure <command>}: the project's command line. */
@Command(
        name = "diffpure",
        mixinStandardHelpOptions = true,
        version = "diffpure-spark 0.1.0",
        description =
                "DiffPure robustness evaluation: Spark evaluation job, result tables, purification,"
                        + " gradients, models, benchmarks.",
        subcommands = {
            EvaluateCommand.class,
            SqlCommand.class,
            ReportCommand.class,
            RescoreCommand.class,
            StrongestCommand.class,
            ReplayCommand.class,
            PurifyCommand.class,
            AttackCommand.class,
            ModelCommand.class,
            BenchCommand.class
        })
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(
                execute(
                        args,
                        new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                        new PrintWriter(System.err, true, StandardCharsets.UTF_8)));
    }

    /**
     * Runs a command. No command sees an argument holding a URI with credentials ({@code
     * s3a://key:secret@bucket/...}): it would reach logs, tables and reports; credentials go in the
     * Hadoop configuration. An error's message is printed without URI credentials.
     *
     * @return the exit code: 2 for a refused argument or a failed command
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        for (String a : args) {
            String shown = ConfigLoader.withoutCredentials(a);
            if (!shown.equals(a)) {
                err.println(
                        "error: "
                                + shown
                                + ": credentials in a URI are refused; give them through the"
                                + " Hadoop configuration (spark.hadoop.fs.s3a.access.key and"
                                + " .secret.key, or a credentials provider)");
                return 2;
            }
        }
        // Commands compute on this thread too (purify, attack, bench): a shutdown waits for it.
        try (NativeWork.Scope computing = NativeWork.enter()) {
            return command(out, err).execute(args);
        }
    }

    private static CommandLine command(PrintWriter out, PrintWriter err) {
        return new CommandLine(new Main())
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler(
                        (e, cmd, parsed) -> {
                            if (NativeWork.stopping()) {
                                // Whatever failed first (a task, the Spark context), the cause
                                // is the signal.
                                cmd.getErr()
                                        .println(
                                                "stopped: interrupted or terminated (evaluate:"
                                                        + " committed chunks are kept; the same"
                                                        + " command resumes the run)");
                                return 2;
                            }
                            cmd.getErr()
                                    .println(
                                            "error: "
                                                    + ConfigLoader.withoutCredentials(
                                                            e.getMessage()));
                            if (Boolean.getBoolean("diffpure.stacktrace")) {
                                e.printStackTrace(cmd.getErr());
                            }
                            return 2;
                        });
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
