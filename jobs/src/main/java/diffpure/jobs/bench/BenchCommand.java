package diffpure.jobs.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code diffpure bench <speed|memory|memory-sweep|noise|device-parity|long-run|step-rows>}. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks that produce the BENCHMARKS.md figures.",
        subcommands = {
            SpeedBench.class,
            MemoryBench.class,
            MemorySweep.class,
            NoiseBench.class,
            DeviceParity.class,
            LongRunBench.class,
            StepRowsBench.class
        })
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
