/**
 * How a run's chunks are executed and committed: {@link diffpure.jobs.run.ChunkEngine} (skip the
 * marked chunks, keep several chunk jobs in flight, write, count, mark, cancel on failure, stop
 * when a {@link diffpure.jobs.run.StopRule} says so on the committed prefix), used by the
 * evaluation and the rescore.
 */
package diffpure.jobs.run;
