/**
 * The report job: reads the {@code samples}, {@code runs} (and {@code rescores}) tables, computes
 * per experiment setting the protocol's accuracies with Wilson intervals, cost and sanity figures,
 * compares the newest run of each setting with the previous one by McNemar's test, and writes HTML,
 * Markdown and RobustBench-style JSON.
 */
package diffpure.jobs.report;
