package diffpure.jobs.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --max-chunks N} option of the commands that commit chunks (evaluate, rescore,
 * strongest): commit at most N chunks in this invocation, then stop; the same command run again
 * resumes where it stopped. For a time-boxed window (a nightly slot) or a smoke check of a big run.
 */
public final class MaxChunks {
    @Option(
            names = "--max-chunks",
            paramLabel = "N",
            description =
                    "commit at most N chunks in this call, then stop; the same command again"
                            + " resumes (default: all)")
    Integer value;

    /**
     * N, or -1 (all) when the option is not given.
     *
     * @throws IllegalArgumentException naming --max-chunks when N is negative
     */
    public int value() {
        if (value == null) {
            return -1;
        }
        if (value < 0) {
            throw new IllegalArgumentException("--max-chunks must be >= 0, found " + value);
        }
        return value;
    }
}
