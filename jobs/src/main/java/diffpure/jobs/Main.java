package diffpure.jobs;

import diffpure.jobs.bench.BenchCommand;
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
            ReplayCommand.class,
            PurifyCommand.class,
            AttackCommand.class,
            ModelCommand.class,
            BenchCommand.class
        })
public final class Main implements Runnable {
    public static void main(String[] args) {
        int code =
                new CommandLine(new Main())
                        .setExecutionExceptionHandler(
                                (e, cmd, parsed) -> {
                                    cmd.getErr().println("error: " + e.getMessage());
                                    if (Boolean.getBoolean("diffpure.stacktrace")) {
                                        e.printStackTrace(cmd.getErr());
                                    }
                                    return 2;
                                })
                        .execute(args);
        System.exit(code);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
