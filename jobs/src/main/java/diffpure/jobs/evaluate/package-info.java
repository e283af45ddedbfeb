/**
 * The Spark evaluation job: the driver plans a run (samples to chunks, partitions and batches),
 * executors run attack-then-purify-then-vote per batch, and the rows land in the {@code samples}
 * and {@code runs} Parquet tables, chunk by chunk, resumably.
 */
package diffpure.jobs.evaluate;
