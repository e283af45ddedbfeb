/**
 * How a run's chunks are executed and committed: {@link diffpure.jobs.run.ChunkEngine} (skip the
 * marked chunks, keep several chunk jobs in flight, write, count, mark, cancel on failure, stop
 * when a {@link diffpure.jobs.run.StopRule} says so on the committed prefix), used by the
 * evaluation and the rescore; and what their tasks compute with: {@link diffpure.jobs.run.TaskSpec}
 * (resolved once on the driver) on the per-JVM {@link diffpure.jobs.run.ExecutorContext} (models,
 * data, threads, device).
 */
package diffpure.jobs.run;
