/**
 * The benchmarks behind BENCHMARKS.md: speed per purifier and gradient mode, memory per mode and N,
 * FLOP/s.
 */
package diffpure.jobs.bench;
